//! Vietnamese text: normalisation, diacritic-insensitive search and Vietnamese sorting.
//!
//! Names of units, people and places arrive from many sources (typed in a browser, pasted
//! from Word, imported from spreadsheets made on macOS), so the same name may come in
//! precomposed (NFC) or decomposed (NFD) form and with stray whitespace. [`nfc`] makes one
//! canonical form for storage and display; [`search_key`] and [`matches_search`] let
//! people find "Hà Đông" by typing "ha dong" on a keyboard without Vietnamese input; and
//! [`Collator`] sorts in the Vietnamese alphabet order (a ă â b c d đ e ê …), which plain
//! byte or code-point order gets wrong.

use std::cmp::Ordering;

use icu_collator::options::CollatorOptions;
use icu_collator::{Collator as IcuCollator, CollatorBorrowed};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Joins the whitespace-separated words of `s` with single spaces, dropping leading and
/// trailing whitespace. Rust's notion of whitespace includes the non-breaking spaces
/// (U+00A0, U+202F) that spreadsheets and word processors like to insert.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Tells whether `c` is an invisible character that can make text look like other text:
/// the bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C),
/// which reorder what follows them ("\u{202E}gnôĐ àH" shows as "Hà Đông"); the
/// zero-width characters (U+200B–U+200D, U+2060, U+FEFF), which make two names that look
/// the same compare different; the other invisible format characters (soft hyphen,
/// invisible operators, tags, interlinear annotations); and the C0/C1 control characters
/// that are not whitespace. Whitespace is not in the set: the callers decide what a line
/// break or a tab becomes.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{00AD}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    ) || (c.is_control() && !c.is_whitespace())
}

/// Returns `s` in Unicode NFC with surrounding whitespace trimmed, every run of
/// whitespace collapsed to a single space, and the invisible characters of
/// [`is_invisible`] dropped.
///
/// This is the canonical form in which names and one-line text are stored and compared
/// for equality: `nfc("Ha\u{300}  \u{110}o\u{302}ng ")` is `"Hà Đông"`, and so is
/// `nfc("H\u{200B}à Đông")`. The invisible characters go before composing, so a mark
/// separated from its letter by one of them still composes with it.
pub fn nfc(s: &str) -> String {
    let composed: String = s.chars().filter(|&c| !is_invisible(c)).nfc().collect();
    collapse_whitespace(&composed)
}

/// Returns multi-line text (a narrative, an article) in Unicode NFC with the invisible
/// characters of [`is_invisible`] dropped, but its line breaks and tabs kept: `\r\n` and
/// a lone `\r` become `\n`, the other line separators too (U+0085, U+2028, U+2029),
/// trailing whitespace of each line and blank lines at either end go.
pub fn nfc_multiline(s: &str) -> String {
    let unified = s.replace("\r\n", "\n");
    let visible: String = unified
        .chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| match c {
            '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => '\n',
            other => other,
        })
        .nfc()
        .collect();
    let lines: Vec<&str> = visible.split('\n').map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let last = lines.iter().rposition(|l| !l.is_empty());
    match (first, last) {
        (Some(first), Some(last)) => lines[first..=last].join("\n"),
        _ => String::new(),
    }
}

/// Returns a diacritic- and case-insensitive key for searching: decomposed, stripped of
/// combining marks (the Vietnamese tones and the hats and horns of ă â ê ô ơ ư), with
/// đ/Đ turned into d, lowercased, with whitespace collapsed and the invisible characters
/// of [`is_invisible`] dropped.
///
/// `search_key("Hà Đông")` is `"ha dong"`; `search_key("Ủy ban MTTQ")` is `"uy ban mttq"`.
/// The key is only for matching — never show it to people.
pub fn search_key(s: &str) -> String {
    // Lowercase between two decompositions: lowercasing can itself produce a combining
    // mark (U+0130 'İ' lowercases to "i\u{307}"), and decomposing first means a
    // precomposed capital such as 'Ủ' is lowercased letter by letter. Doing it in this
    // order is what makes the key idempotent.
    let stripped: String = s
        .chars()
        // The invisible characters are not part of any name people look for.
        .filter(|&c| !is_invisible(c))
        .nfd()
        .flat_map(char::to_lowercase)
        .nfd()
        .filter(|&c| !is_combining_mark(c))
        // 'đ' is a letter of its own, not 'd' plus a mark, so NFD leaves it alone; people
        // typing without Vietnamese input still write "d".
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect();
    // Collapse last, after marks are gone: a "word" that was only stray marks vanishes
    // and must not leave a double space behind.
    collapse_whitespace(&stripped)
}

/// Tells whether `query` finds `haystack`, ignoring diacritics and case: every word of
/// the query is a word of the haystack, except the last, which may be the start of one
/// (the word still being typed).
///
/// Words may come in any order ("ha dong", "dong ha" and "đôn" all find "Hà Đông"), but a
/// finished word is not found inside a longer one: "ha dong" does not find "hàng … vận
/// động", whose words only begin with "ha". Codes count as words split at their dashes
/// ("hadong" finds HN-HADONG). An empty or all-whitespace query matches everything, so an
/// empty search box shows the whole list.
pub fn matches_search(haystack: &str, query: &str) -> bool {
    let hay = search_key(haystack);
    let hay_words: Vec<&str> = hay
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let key = search_key(query);
    let words: Vec<&str> = key
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let Some((last, finished)) = words.split_last() else {
        return true;
    };
    finished.iter().all(|w| hay_words.contains(w)) && hay_words.iter().any(|h| h.starts_with(last))
}

/// Compares and sorts strings in Vietnamese alphabetical order (locale `vi`, ICU4X with
/// compiled CLDR data).
///
/// In this order ă and â come after a, đ after d, ê after e, ô and ơ after o, ư after u,
/// and tones only break ties between otherwise equal words. Uppercase and lowercase differ
/// only at the last level, so "an" and "An" sort together.
///
/// The collator borrows ICU's compiled data, which is `'static`: it holds no allocation of
/// its own, is `Send + Sync`, and can be built once and shared between threads (for
/// example in an `Arc` or a `static` `LazyLock`). Building one is cheap too.
#[derive(Debug)]
pub struct Collator {
    inner: CollatorBorrowed<'static>,
}

impl Collator {
    /// Builds the Vietnamese collator from the data compiled into the binary.
    ///
    /// # Panics
    ///
    /// Never in practice: the only failure ICU reports is missing locale data, and the
    /// Vietnamese tailoring is part of the compiled CLDR data that `icu_collator` ships
    /// (a unit test checks it). No user input reaches this function.
    pub fn new() -> Collator {
        let prefs = icu_locale_core::langid!("vi").into();
        let inner = IcuCollator::try_new(prefs, CollatorOptions::default())
            .expect("icu_collator's compiled data includes the Vietnamese (vi) collation");
        Collator { inner }
    }

    /// Compares two strings in Vietnamese order. Input need not be normalised: the
    /// collator treats NFC and NFD forms of the same text as equal.
    pub fn compare(&self, a: &str, b: &str) -> Ordering {
        self.inner.compare(a, b)
    }

    /// Sorts `items` in Vietnamese order of the string that `key` picks out of each.
    ///
    /// The sort is stable, so items whose keys compare equal keep their order.
    pub fn sort_by_key<T>(&self, items: &mut [T], key: impl Fn(&T) -> &str) {
        items.sort_by(|a, b| self.compare(key(a), key(b)));
    }
}

impl Default for Collator {
    fn default() -> Self {
        Collator::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nfc_composes_and_collapses_whitespace() {
        assert_eq!(nfc("Ha\u{300} \u{110}o\u{302}ng"), "Hà Đông");
        assert_eq!(nfc("  Tây \t\n Hồ  "), "Tây Hồ");
        assert_eq!(nfc("Cầu\u{a0}Giấy"), "Cầu Giấy");
        assert_eq!(nfc(""), "");
        assert_eq!(nfc(" \u{a0} "), "");
        // The decomposed form really differs from the composed one before normalising.
        assert_ne!("Ha\u{300}", "Hà");
    }

    #[test]
    fn nfc_drops_bidi_controls_zero_width_and_control_characters() {
        // A right-to-left override makes "\u{202E}gnôĐ àH" show as "Hà Đông".
        assert_eq!(nfc("\u{202E}gnôĐ àH"), "gnôĐ àH");
        assert_eq!(nfc("H\u{200B}à Đ\u{200D}ông\u{FEFF}"), "Hà Đông");
        assert_eq!(nfc("\u{2066}Tây Hồ\u{2069}\u{200E}\u{200F}\u{061C}\u{2060}"), "Tây Hồ");
        assert_eq!(nfc("Cầu\u{0}\u{7}\u{1B}[31m Giấy\u{7F}\u{9B}"), "Cầu[31m Giấy");
        // A mark cut off from its letter by a zero-width space still composes with it.
        assert_eq!(nfc("Ha\u{200B}\u{300}"), "Hà");
        // Line breaks and tabs are whitespace, not dropped: one-line text gets a space.
        assert_eq!(nfc("Hà\nĐông\tquận"), "Hà Đông quận");
        assert_eq!(nfc("\u{200B}\u{202E}"), "");
    }

    #[test]
    fn nfc_multiline_keeps_lines_and_tabs_but_not_invisible_characters() {
        assert_eq!(
            nfc_multiline("\r\n  Kết qua\u{309} tốt\u{202E}  \r\n\tTiếp tục\u{200B}\rHết\n\n"),
            "  Kết quả tốt\n\tTiếp tục\nHết"
        );
        assert_eq!(nfc_multiline(" \n\u{200B}\n "), "");
    }

    #[test]
    fn search_key_examples() {
        assert_eq!(search_key("Hà Đông"), "ha dong");
        assert_eq!(search_key("Tây Hồ"), "tay ho");
        assert_eq!(search_key("Ủy ban MTTQ"), "uy ban mttq");
        assert_eq!(search_key("Ha\u{300} \u{110}o\u{302}ng"), "ha dong");
        assert_eq!(search_key("  BẮC   Từ\u{a0}Liêm "), "bac tu liem");
        assert_eq!(search_key("Ngữ Ơn Ư Ặ"), "ngu on u a");
        assert_eq!(search_key(""), "");
    }

    #[test]
    fn search_matches_words_in_any_order() {
        assert!(matches_search("Hà Đông", "ha dong"));
        assert!(matches_search("Hà Đông", "dong ha"));
        assert!(matches_search("Hà Đông", "ĐÔNG"));
        assert!(matches_search("Hà Đông", "đôn"));
        assert!(matches_search("Hà Đông", ""));
        assert!(matches_search("Hà Đông", "   "));
        assert!(matches_search("Ủy ban MTTQ quận Tây Hồ", "mttq tay"));
        assert!(!matches_search("Hà Đông", "ha noi"));
        assert!(!matches_search("Tây Hồ", "thanh"));
        assert!(matches_search("quận Hà Đông HN-HADONG", "hadong"));
    }

    #[test]
    fn a_finished_word_is_not_found_inside_a_longer_one() {
        let indicator = "Số hội chợ hàng Việt, phiên chợ vận động";
        assert!(
            !matches_search(indicator, "ha dong"),
            "only fragments of «hàng» and «động»"
        );
        assert!(matches_search(indicator, "hang viet"));
        assert!(matches_search(indicator, "van do"), "the last word may still be typed");
    }

    #[test]
    fn collator_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Collator>();
    }

    #[test]
    fn vietnamese_alphabet_order() {
        let alphabet = [
            "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "g", "h", "i", "k", "l", "m", "n", "o", "ô", "ơ", "p", "q",
            "r", "s", "t", "u", "ư", "v", "x", "y",
        ];
        let mut shuffled = alphabet;
        shuffled.reverse();
        shuffled.swap(0, 14);
        shuffled.swap(3, 27);
        let collator = Collator::new();
        collator.sort_by_key(&mut shuffled, |s| s);
        assert_eq!(shuffled, alphabet);
        // Code-point order would get this wrong: 'đ' (U+0111) sorts after 'z' there.
        assert_eq!(collator.compare("đ", "e"), Ordering::Less);
        assert_eq!(collator.compare("ư", "v"), Ordering::Less);
    }

    #[test]
    fn collator_word_order() {
        let c = Collator::new();
        assert_eq!(c.compare("Ăn", "Anh"), Ordering::Greater);
        assert_eq!(c.compare("Đông", "Dung"), Ordering::Greater);
        assert_eq!(c.compare("an", "An"), Ordering::Less);
        assert_eq!(c.compare("Hà Đông", "Ha\u{300} \u{110}o\u{302}ng"), Ordering::Equal);
        assert_eq!(c.compare("", "a"), Ordering::Less);
    }

    #[test]
    fn collator_sorts_hanoi_districts() {
        let mut names = vec![
            "Hà Đông",
            "Thanh Xuân",
            "Cầu Giấy",
            "Tây Hồ",
            "Bắc Từ Liêm",
            "Nam Từ Liêm",
        ];
        Collator::default().sort_by_key(&mut names, |s| s);
        assert_eq!(
            names,
            [
                "Bắc Từ Liêm",
                "Cầu Giấy",
                "Hà Đông",
                "Nam Từ Liêm",
                "Tây Hồ",
                "Thanh Xuân"
            ]
        );
    }

    #[test]
    fn sort_by_key_on_structs() {
        struct Unit {
            name: String,
            code: u32,
        }
        let mut units: Vec<Unit> = ["Ưng Hòa", "Ứng Hòa", "Uông Bí", "Đan Phượng", "Ba Vì"]
            .iter()
            .zip(1..)
            .map(|(n, code)| Unit {
                name: n.to_string(),
                code,
            })
            .collect();
        Collator::new().sort_by_key(&mut units, |u| &u.name);
        let codes: Vec<u32> = units.iter().map(|u| u.code).collect();
        // Ba Vì, Đan Phượng, Uông Bí, then Ưng/Ứng Hòa (tones only break ties, and the
        // level tone comes before the rising one).
        assert_eq!(codes, [5, 4, 3, 1, 2]);
    }

    /// Strings mixing Vietnamese letters, decomposed marks, odd whitespace and a few
    /// characters with tricky case mappings.
    fn vietnamese_ish() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(vec![
                    "a", "Ă", "â", "Đ", "đ", "ê", "Ô", "ơ", "Ư", "ữ", "Ỵ", "ệ", " ", "  ", "\t", "\u{a0}", "\u{300}",
                    "\u{301}", "\u{303}", "\u{309}", "\u{323}", "\u{302}", "\u{306}", "\u{31b}", "İ", "ß", "Σ",
                    "\u{212b}", "x",
                ])
                .prop_map(str::to_string),
                any::<char>().prop_map(String::from),
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat())
    }

    /// Vietnamese-ish strings with bidi controls, zero-width and control characters mixed in.
    fn spoofed() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                vietnamese_ish(),
                proptest::sample::select(vec![
                    "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{202E}", "\u{2066}", "\u{2067}", "\u{2068}",
                    "\u{2069}", "\u{200E}", "\u{200F}", "\u{061C}", "\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}",
                    "\u{FEFF}", "\u{0}", "\u{7}", "\u{1B}", "\u{7F}", "\u{85}", "\u{9B}", "\n", "\r\n", "\t",
                ])
                .prop_map(str::to_string),
            ],
            0..12,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn nfc_leaves_no_invisible_or_control_character(s in spoofed()) {
            let clean = nfc(&s);
            prop_assert!(!clean.chars().any(|c| is_invisible(c) || c.is_control()), "{:?}", clean);
            prop_assert_eq!(nfc(&clean), clean.clone());
            // Dropping the invisible characters is all it does beyond NFC and spaces.
            let visible: String = s.chars().filter(|&c| !is_invisible(c)).collect();
            prop_assert_eq!(nfc(&visible), clean);
        }

        #[test]
        fn nfc_multiline_keeps_only_line_breaks_and_tabs_of_the_controls(s in spoofed()) {
            let clean = nfc_multiline(&s);
            prop_assert!(
                !clean.chars().any(|c| is_invisible(c) || (c.is_control() && c != '\n' && c != '\t')),
                "{:?}",
                clean
            );
            prop_assert_eq!(nfc_multiline(&clean), clean.clone());
            // On one line it reads as the one-line form does.
            prop_assert_eq!(nfc(&clean), nfc(&s));
        }

        #[test]
        fn nfc_of_any_string_has_no_invisible_character(s in any::<String>()) {
            prop_assert!(!nfc(&s).chars().any(|c| is_invisible(c) || c.is_control()));
            prop_assert!(!nfc_multiline(&s).chars().any(is_invisible));
        }

        #[test]
        fn nfc_is_idempotent(s in vietnamese_ish()) {
            let once = nfc(&s);
            prop_assert_eq!(nfc(&once), once.clone());
        }

        #[test]
        fn nfc_is_idempotent_on_any_string(s in any::<String>()) {
            let once = nfc(&s);
            prop_assert_eq!(nfc(&once), once.clone());
        }

        #[test]
        fn search_key_is_idempotent_and_plain(s in vietnamese_ish()) {
            let key = search_key(&s);
            prop_assert_eq!(search_key(&key), key.clone());
            prop_assert!(!key.chars().any(is_combining_mark));
            prop_assert!(!key.contains('đ') && !key.contains('Đ'));
            prop_assert!(!key.starts_with(' ') && !key.ends_with(' ') && !key.contains("  "));
        }

        #[test]
        fn search_key_is_idempotent_on_any_string(s in any::<String>()) {
            let key = search_key(&s);
            prop_assert_eq!(search_key(&key), key.clone());
            prop_assert!(!key.chars().any(is_combining_mark));
            prop_assert!(!key.contains('đ'));
        }

        #[test]
        fn text_matches_itself(s in vietnamese_ish()) {
            prop_assert!(matches_search(&s, &s));
            prop_assert!(matches_search(&nfc(&s), &search_key(&s)));
        }
    }
}
