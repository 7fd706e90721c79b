//! `thidua bench-data`: a synthetic national dataset for measuring thidua at scale, written
//! from a seed as the CSV files `thidua import units|indicators|clusters|values` accept —
//! the same seed and sizes give byte-identical files on every machine.
//!
//! The tree is the Front's after the 2025 reform: the Central Committee (Ủy ban Trung ương
//! MTTQ Việt Nam), the provinces, the communes below them (no district level any more) and
//! the residential areas' Ban công tác Mặt trận below the communes, spread unevenly. The
//! catalog has Vietnamese names: mostly summed counts and sums of money, some stocks
//! (`last`: households, cultural families) and ratio formulas over them. Every commune and
//! area reports every non-formula indicator for every half-year up to 2026S1; for a small
//! share of complete past years a unit has also reported the year as a whole (a corrected
//! year total), so the year's rollup must take that figure and not add it to the
//! half-years. Each year covered has its emulation clusters (cụm thi đua): in each province
//! clusters of about ten communes, and one national cluster of the provinces.
//!
//! values.csv is streamed through a buffer as it is generated: at 100 million values it
//! is several GB and is never held in memory.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, bail};
use thidua_core::Period;
use thidua_core::number::format_integer;

use crate::args::BenchDataArgs;

/// The last half-year of the data.
const LAST: Period = Period::HalfYear(2026, 1);
/// The code of the root unit.
const ROOT: &str = "VN";
/// The code of the national cluster of the provinces.
const NATIONAL_CLUSTER: &str = "VN-CUM";
/// Per mille of (unit, indicator, complete past year) cells also reported for the year.
const WHOLE_YEAR_PER_MILLE: u64 = 20;
/// Communes per cluster, about.
const CLUSTER_SIZE: usize = 10;

/// SplitMix64 (Steele, Lea and Flood, 2014): small, fast, well mixed, and the same numbers
/// on every machine — no dependency needed for reproducible data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi` (`lo` when the range is empty).
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.next() % span) as i64
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    /// True `per_mille` times in a thousand.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// How an indicator's values are made up.
#[derive(Debug, Clone, Copy)]
enum Make {
    /// A count per unit and half-year, in `lo..=hi`.
    Count(i64, i64),
    /// Money in đồng: `lo..=hi` thousand đồng per unit and half-year.
    Money(i64, i64),
    /// A part of another indicator of the same unit and half-year: `lo..=hi` per cent of it.
    Share(&'static str, i64, i64),
    /// A stock: starts in `lo..=hi`, then changes by up to `change` per mille a half-year.
    Stock(i64, i64, i64),
    /// A stock that is a part of another stock: `lo..=hi` per cent of it.
    StockShare(&'static str, i64, i64),
    /// Computed by a formula, never reported.
    Formula(&'static str),
}

impl Make {
    fn aggregation(self) -> &'static str {
        match self {
            Make::Count(..) | Make::Money(..) | Make::Share(..) => "sum",
            Make::Stock(..) | Make::StockShare(..) => "last",
            Make::Formula(_) => "ratio",
        }
    }

    fn value_type(self) -> &'static str {
        match self {
            Make::Money(..) => "money",
            Make::Formula(_) => "percent",
            _ => "integer",
        }
    }

    /// Whether the values stand alone (no other indicator needed), so that a variant of
    /// the indicator can be made for a larger catalog.
    fn stands_alone(self) -> bool {
        matches!(self, Make::Count(..) | Make::Money(..) | Make::Stock(..))
    }
}

/// One indicator of the pool.
struct Spec {
    code: &'static str,
    name: &'static str,
    measure: &'static str,
    group: &'static str,
    make: Make,
}

const G_VAN_DONG: &str = "Cuộc vận động «Toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn minh»";
const G_NGHEO: &str = "Vận động «Vì người nghèo» và an sinh xã hội";
const G_TU_THIEN: &str = "Vận động ủng hộ và nhân đạo từ thiện";
const G_GIAM_SAT: &str = "Giám sát và phản biện xã hội";
const G_HOA_GIAI: &str = "Hòa giải ở cơ sở và Thanh tra nhân dân";
const G_CU_TRI: &str = "Tiếp xúc cử tri, tập hợp ý kiến, kiến nghị của nhân dân";
const G_AN_NINH: &str = "Phong trào «Toàn dân bảo vệ an ninh Tổ quốc»";

/// The indicators, in the order a catalog of K takes them: any prefix is mostly sums
/// with some stocks, and a formula comes after the indicators it uses.
#[rustfmt::skip]
const POOL: &[Spec] = &[
    spec("TANG_SO_DAM", "Số đám tang (ca tử vong) trên địa bàn", "ca", G_VAN_DONG, Make::Count(0, 12)),
    spec("TANG_HOA_TANG", "Số ca hỏa táng", "ca", G_VAN_DONG, Make::Share("TANG_SO_DAM", 40, 100)),
    spec("TY_LE_HOA_TANG", "Tỷ lệ hỏa táng", "%", G_VAN_DONG, Make::Formula("100 * TANG_HOA_TANG / TANG_SO_DAM")),
    spec("QUY_VI_NGUOI_NGHEO", "Vận động Quỹ «Vì người nghèo»", "đồng", G_NGHEO, Make::Money(2_000, 150_000)),
    spec("HO_GIA_DINH", "Tổng số hộ gia đình trên địa bàn", "hộ", G_VAN_DONG, Make::Stock(80, 600, 15)),
    spec("NHA_DAI_DOAN_KET", "Số nhà Đại đoàn kết xây mới", "căn", G_NGHEO, Make::Count(0, 3)),
    spec("HO_NGHEO_HO_TRO", "Số hộ nghèo, cận nghèo được hỗ trợ", "hộ", G_NGHEO, Make::Count(0, 25)),
    spec("QUY_BIEN_DAO", "Ủng hộ Quỹ «Vì biển, đảo Việt Nam»", "đồng", G_TU_THIEN, Make::Money(500, 30_000)),
    spec("HO_VAN_HOA", "Số hộ được công nhận «Gia đình văn hóa»", "hộ", G_VAN_DONG, Make::StockShare("HO_GIA_DINH", 75, 98)),
    spec("TY_LE_GIA_DINH_VAN_HOA", "Tỷ lệ hộ đạt danh hiệu «Gia đình văn hóa»", "%", G_VAN_DONG, Make::Formula("100 * HO_VAN_HOA / HO_GIA_DINH")),
    spec("HOA_GIAI_VU", "Số vụ việc đưa ra hòa giải", "vụ", G_HOA_GIAI, Make::Count(0, 8)),
    spec("HOA_GIAI_THANH", "Số vụ việc hòa giải thành", "vụ", G_HOA_GIAI, Make::Share("HOA_GIAI_VU", 60, 100)),
    spec("TY_LE_HOA_GIAI_THANH", "Tỷ lệ hòa giải thành", "%", G_HOA_GIAI, Make::Formula("100 * HOA_GIAI_THANH / HOA_GIAI_VU")),
    spec("GIAM_SAT_CUOC", "Số cuộc giám sát do Mặt trận chủ trì", "cuộc", G_GIAM_SAT, Make::Count(0, 4)),
    spec("PHAN_BIEN_CUOC", "Số cuộc phản biện xã hội", "cuộc", G_GIAM_SAT, Make::Count(0, 2)),
    spec("KDC_VAN_HOA", "Số khu dân cư đạt danh hiệu «Khu dân cư văn hóa»", "khu", G_VAN_DONG, Make::Stock(0, 1, 0)),
    spec("TIEP_XUC_CU_TRI", "Số cuộc tiếp xúc cử tri", "cuộc", G_CU_TRI, Make::Count(0, 3)),
    spec("KIEN_NGHI_CU_TRI", "Số ý kiến, kiến nghị của cử tri được tổng hợp", "ý kiến", G_CU_TRI, Make::Count(0, 40)),
    spec("TTND_PHAT_HIEN", "Số vụ việc Ban Thanh tra nhân dân phát hiện", "vụ", G_HOA_GIAI, Make::Count(0, 5)),
    spec("TTND_KIEN_NGHI", "Số vụ việc Ban Thanh tra nhân dân kiến nghị", "vụ", G_HOA_GIAI, Make::Share("TTND_PHAT_HIEN", 50, 100)),
    spec("TTND_DA_GIAI_QUYET", "Số vụ việc đã được giải quyết sau kiến nghị", "vụ", G_HOA_GIAI, Make::Share("TTND_KIEN_NGHI", 40, 100)),
    spec("GSDTCD_CONG_TRINH", "Số công trình được Ban Giám sát đầu tư của cộng đồng giám sát", "công trình", G_GIAM_SAT, Make::Count(0, 3)),
    spec("GSDTCD_VI_PHAM", "Số công trình phát hiện sai phạm", "công trình", G_GIAM_SAT, Make::Share("GSDTCD_CONG_TRINH", 0, 30)),
    spec("QUY_CUU_TRO", "Ủng hộ Quỹ Cứu trợ", "đồng", G_TU_THIEN, Make::Money(1_000, 80_000)),
    spec("TU_THIEN_QUY_DOI", "Tiền, hàng nhân đạo, từ thiện quy đổi", "đồng", G_TU_THIEN, Make::Money(2_000, 200_000)),
    spec("QUA_TET", "Số suất quà Tết trao tặng hộ nghèo, gia đình chính sách", "suất", G_NGHEO, Make::Count(0, 60)),
    spec("HOC_BONG", "Số suất học bổng trao tặng học sinh nghèo vượt khó", "suất", G_NGHEO, Make::Count(0, 15)),
    spec("BHYT_TANG", "Số thẻ bảo hiểm y tế tặng người nghèo, cận nghèo", "thẻ", G_NGHEO, Make::Count(0, 20)),
    spec("HO_NGHEO_CON", "Số hộ nghèo còn lại trên địa bàn", "hộ", G_NGHEO, Make::Stock(0, 30, -60)),
    spec("NGAY_CONG", "Số ngày công nhân dân đóng góp", "ngày công", G_VAN_DONG, Make::Count(0, 400)),
    spec("HIEN_DAT", "Diện tích đất nhân dân hiến làm đường, công trình công cộng", "m²", G_VAN_DONG, Make::Count(0, 800)),
    spec("CAY_XANH", "Số cây xanh trồng mới", "cây", G_VAN_DONG, Make::Count(0, 300)),
    spec("DUONG_GIAO_THONG", "Chiều dài đường giao thông làm mới, nâng cấp", "m", G_VAN_DONG, Make::Count(0, 1_500)),
    spec("TO_HOA_GIAI", "Số tổ hòa giải đang hoạt động", "tổ", G_HOA_GIAI, Make::Stock(1, 3, 0)),
    spec("DONG_GOP_NTM", "Nhân dân đóng góp xây dựng nông thôn mới, đô thị văn minh", "đồng", G_VAN_DONG, Make::Money(5_000, 500_000)),
    spec("CAMERA_AN_NINH", "Số camera an ninh lắp đặt ở khu dân cư", "cái", G_AN_NINH, Make::Count(0, 6)),
    spec("MO_HINH_TU_QUAN", "Số mô hình tự quản ở khu dân cư", "mô hình", G_AN_NINH, Make::Stock(0, 4, 50)),
];

/// Qualifiers that make variants of an indicator when the catalog is larger than the pool.
const QUALIFIERS: &[(&str, &str)] = &[
    ("DTTS", "ở vùng đồng bào dân tộc thiểu số"),
    ("XHH", "từ nguồn xã hội hóa"),
    ("TET", "dịp Tết Nguyên đán"),
    ("CAO_DIEM", "trong Tháng cao điểm «Vì người nghèo»"),
    ("CHINH_SACH", "cho gia đình chính sách"),
    ("VUNG_SAU", "ở vùng sâu, vùng xa, biên giới, hải đảo"),
    ("DOANH_NGHIEP", "do doanh nghiệp đóng góp"),
    ("KDC_MOI", "tại khu dân cư mới sáp nhập"),
];

const fn spec(code: &'static str, name: &'static str, measure: &'static str, group: &'static str, make: Make) -> Spec {
    Spec {
        code,
        name,
        measure,
        group,
        make,
    }
}

/// The 34 provinces and cities after the 2025 reform (whether each is a city).
const PROVINCES: &[(&str, bool)] = &[
    ("Hà Nội", true),
    ("Huế", true),
    ("Lai Châu", false),
    ("Điện Biên", false),
    ("Sơn La", false),
    ("Lạng Sơn", false),
    ("Quảng Ninh", false),
    ("Thanh Hóa", false),
    ("Nghệ An", false),
    ("Hà Tĩnh", false),
    ("Cao Bằng", false),
    ("Tuyên Quang", false),
    ("Lào Cai", false),
    ("Thái Nguyên", false),
    ("Phú Thọ", false),
    ("Bắc Ninh", false),
    ("Hưng Yên", false),
    ("Hải Phòng", true),
    ("Ninh Bình", false),
    ("Quảng Trị", false),
    ("Đà Nẵng", true),
    ("Quảng Ngãi", false),
    ("Gia Lai", false),
    ("Khánh Hòa", false),
    ("Lâm Đồng", false),
    ("Đắk Lắk", false),
    ("Hồ Chí Minh", true),
    ("Đồng Nai", false),
    ("Tây Ninh", false),
    ("Cần Thơ", true),
    ("Vĩnh Long", false),
    ("Đồng Tháp", false),
    ("Cà Mau", false),
    ("An Giang", false),
];

/// Place names are two syllables, one from each list.
const FIRST: &[&str] = &[
    "An", "Bình", "Tân", "Phú", "Hòa", "Thạnh", "Long", "Phước", "Đông", "Tây", "Nam", "Bắc", "Hưng", "Thịnh", "Xuân",
    "Thanh", "Quang", "Minh", "Đức", "Hải", "Sơn", "Vĩnh", "Hiệp", "Trung", "Mỹ", "Lộc", "Thái", "Cẩm", "Hồng", "Kim",
];
const SECOND: &[&str] = &[
    "Bình", "Hòa", "Phú", "Lợi", "Thành", "Hưng", "An", "Lộc", "Thuận", "Mỹ", "Phong", "Lạc", "Tiến", "Hiệp", "Khánh",
    "Sơn", "Hà", "Lâm", "Điền", "Tân", "Hải", "Thịnh", "Đông", "Yên", "Xuyên",
];

/// The `i`-th of a run of distinct place names starting at `start`.
fn place_name(start: usize, i: usize) -> String {
    let combos = FIRST.len() * SECOND.len();
    // 7 is prime to 750, so the first 750 names of a run are all different.
    let k = (start + i * 7) % combos;
    let (a, b) = (FIRST[k / SECOND.len()], SECOND[k % SECOND.len()]);
    let b = if a == b { SECOND[(k + 1) % SECOND.len()] } else { b };
    match i / combos {
        0 => format!("{a} {b}"),
        n => format!("{a} {b} {}", n + 1),
    }
}

/// `total` items over `parts` holders, unevenly (weights 1 to 3), every holder at least one
/// when there are enough; the same numbers for the same generator state.
fn spread(total: usize, parts: usize, rng: &mut Rng) -> Vec<usize> {
    if parts == 0 {
        return Vec::new();
    }
    let base = usize::from(total >= parts);
    let rest = total - base * parts;
    let weights: Vec<usize> = (0..parts).map(|_| 100 + rng.below(201)).collect();
    let sum: usize = weights.iter().sum();
    let mut counts: Vec<usize> = weights.iter().map(|w| base + rest * w / sum).collect();
    let mut left = total - counts.iter().sum::<usize>();
    let mut i = 0;
    while left > 0 {
        counts[i % parts] += 1;
        left -= 1;
        i += 1;
    }
    counts
}

/// How many digits the codes numbering `n` things need (at least two).
fn digits(n: usize) -> usize {
    n.to_string().len().max(2)
}

/// A CSV field, quoted when it must be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

struct Province {
    code: String,
    name: String,
    /// Indices into the communes.
    communes: std::ops::Range<usize>,
}

struct Commune {
    code: String,
}

/// The unit tree, and the reporting units in the order their values are written.
struct Tree {
    provinces: Vec<Province>,
    communes: Vec<Commune>,
    /// The units that report: each commune followed by its areas.
    reporting: Vec<String>,
    unit_rows: usize,
}

fn write_units(args: &BenchDataArgs, rng: &mut Rng, out: &Path) -> anyhow::Result<Tree> {
    let mut w = create(out, "units.csv")?;
    writeln!(w, "code,name,kind,parent")?;
    writeln!(w, "{ROOT},Ủy ban Trung ương MTTQ Việt Nam,central,")?;
    let per_province = spread(args.communes, args.provinces, rng);
    let mut per_commune = spread(args.areas, args.communes, rng).into_iter();
    let province_digits = digits(args.provinces);
    let commune_digits = digits(per_province.iter().copied().max().unwrap_or(0));
    let (mut provinces, mut communes, mut reporting) = (Vec::new(), Vec::new(), Vec::new());
    let mut area_count = 0;
    for (p, &count) in per_province.iter().enumerate() {
        let code = format!("P{:0province_digits$}", p + 1);
        let name = match PROVINCES.get(p) {
            Some((name, true)) => format!("thành phố {name}"),
            Some((name, false)) => format!("tỉnh {name}"),
            None => format!("tỉnh Thử nghiệm {}", p + 1),
        };
        writeln!(w, "{code},Ủy ban MTTQ Việt Nam {name},province,{ROOT}")?;
        let first = communes.len();
        let start = rng.below(FIRST.len() * SECOND.len());
        for c in 0..count {
            let commune = format!("{code}-X{:0commune_digits$}", c + 1);
            let ward = rng.chance(300);
            let kind = if ward { "phường" } else { "xã" };
            writeln!(
                w,
                "{commune},Ủy ban MTTQ Việt Nam {kind} {},commune,{code}",
                place_name(start, c)
            )?;
            reporting.push(commune.clone());
            let areas = per_commune.next().unwrap_or(0);
            let area_digits = digits(areas);
            let area_start = rng.below(FIRST.len() * SECOND.len());
            for a in 0..areas {
                let area = format!("{commune}-K{:0area_digits$}", a + 1);
                let name = if ward {
                    format!("tổ dân phố số {}", a + 1)
                } else {
                    format!("thôn {}", place_name(area_start, a))
                };
                writeln!(w, "{area},Ban Công tác Mặt trận {name},area,{commune}")?;
                reporting.push(area);
            }
            communes.push(Commune { code: commune });
            area_count += areas;
        }
        provinces.push(Province {
            code,
            name,
            communes: first..communes.len(),
        });
    }
    w.flush()?;
    Ok(Tree {
        unit_rows: 1 + provinces.len() + communes.len() + area_count,
        provinces,
        communes,
        reporting,
    })
}

/// One indicator of the catalog written, with what its values need.
struct Chosen {
    code: String,
    make: Make,
    /// For shares: the index of the indicator it is a part of.
    of: Option<usize>,
}

fn choose_indicators(count: usize) -> anyhow::Result<Vec<(Chosen, String, &'static Spec)>> {
    let mut chosen: Vec<(Chosen, String, &'static Spec)> = Vec::new();
    let variants: Vec<&Spec> = POOL.iter().filter(|s| s.make.stands_alone()).collect();
    let mut round = 0;
    while chosen.len() < count {
        if round == 0 {
            for s in POOL.iter().take(count) {
                chosen.push((
                    Chosen {
                        code: s.code.to_owned(),
                        make: s.make,
                        of: None,
                    },
                    s.name.to_owned(),
                    s,
                ));
            }
        } else {
            let (suffix, words) = QUALIFIERS[(round - 1) % QUALIFIERS.len()];
            let lap = (round - 1) / QUALIFIERS.len();
            for s in variants.iter().take(count - chosen.len()) {
                let (code, name) = match lap {
                    0 => (format!("{}_{suffix}", s.code), format!("{} {words}", s.name)),
                    n => (
                        format!("{}_{suffix}_{}", s.code, n + 1),
                        format!("{} {words} (đợt {})", s.name, n + 1),
                    ),
                };
                chosen.push((
                    Chosen {
                        code,
                        make: s.make,
                        of: None,
                    },
                    name,
                    s,
                ));
            }
        }
        round += 1;
    }
    let index: HashMap<String, usize> = chosen.iter().enumerate().map(|(i, c)| (c.0.code.clone(), i)).collect();
    for (c, _, _) in &mut chosen {
        if let Make::Share(of, ..) | Make::StockShare(of, ..) = c.make {
            // The pool lists every part after its whole, so a prefix holds both.
            c.of = Some(*index.get(of).with_context(|| format!("chỉ tiêu {of} chưa được chọn"))?);
        }
    }
    Ok(chosen)
}

fn write_indicators(args: &BenchDataArgs, out: &Path) -> anyhow::Result<Vec<Chosen>> {
    let chosen = choose_indicators(args.indicators)?;
    let mut w = create(out, "indicators.csv")?;
    writeln!(w, "code,name,measure,value_type,aggregation,formula,group")?;
    for (c, name, s) in &chosen {
        let formula = match c.make {
            Make::Formula(f) => f,
            _ => "",
        };
        writeln!(
            w,
            "{},{},{},{},{},{},{}",
            c.code,
            field(name),
            field(s.measure),
            c.make.value_type(),
            c.make.aggregation(),
            formula,
            field(s.group)
        )?;
    }
    w.flush()?;
    Ok(chosen.into_iter().map(|(c, _, _)| c).collect())
}

/// Clusters per year: in each province groups of about ten consecutive communes, and the
/// national cluster of all provinces; the chair (and host) rotates with the year.
fn write_clusters(tree: &Tree, years: &[i32], out: &Path) -> anyhow::Result<usize> {
    let mut w = create(out, "clusters.csv")?;
    writeln!(w, "code,name,year,members,host,chair,deputy")?;
    let mut rows = 0;
    let mut line = |w: &mut BufWriter<File>, code: &str, name: &str, year: i32, members: &[&str]| {
        let turn = usize::try_from(year).unwrap_or(0) % members.len().max(1);
        let chair = members.get(turn).copied().unwrap_or("");
        let deputy = if members.len() > 1 {
            members[(turn + 1) % members.len()]
        } else {
            ""
        };
        rows += 1;
        writeln!(
            w,
            "{code},{},{year},{},{chair},{chair},{deputy}",
            field(name),
            members.join(";")
        )
    };
    for &year in years {
        let provinces: Vec<&str> = tree.provinces.iter().map(|p| p.code.as_str()).collect();
        line(
            &mut w,
            NATIONAL_CLUSTER,
            "Cụm thi đua các tỉnh, thành phố",
            year,
            &provinces,
        )?;
        for province in &tree.provinces {
            let communes: Vec<&str> = tree.communes[province.communes.clone()]
                .iter()
                .map(|c| c.code.as_str())
                .collect();
            if communes.is_empty() {
                continue;
            }
            let groups = ((communes.len() + CLUSTER_SIZE / 2) / CLUSTER_SIZE).max(1);
            let (size, extra) = (communes.len() / groups, communes.len() % groups);
            let mut start = 0;
            for g in 0..groups {
                let end = start + size + usize::from(g < extra);
                line(
                    &mut w,
                    &format!("{}-CUM{:02}", province.code, g + 1),
                    &format!("Cụm thi đua số {} – {}", g + 1, province.name),
                    year,
                    &communes[start..end],
                )?;
                start = end;
            }
        }
    }
    w.flush()?;
    Ok(rows)
}

/// What values.csv holds.
struct ValuesWritten {
    values: u64,
    whole_years: u64,
}

/// Every reporting unit's values, one half-year after another; after the second half of
/// a complete past year, the few cells reported for the year as a whole.
fn write_values(
    tree: &Tree,
    indicators: &[Chosen],
    periods: &[Period],
    rng: &mut Rng,
    out: &Path,
) -> anyhow::Result<ValuesWritten> {
    let mut w = create(out, "values.csv")?;
    writeln!(w, "unit,indicator,period,value")?;
    let period_codes: Vec<String> = periods.iter().map(Period::code).collect();
    let complete = |p: &Period| matches!(p, Period::HalfYear(y, 2) if *y < LAST.year() && periods.contains(&Period::HalfYear(*y, 1)));
    let mut written = ValuesWritten {
        values: 0,
        whole_years: 0,
    };
    let n = indicators.len();
    let (mut current, mut first_half) = (vec![0i64; n], vec![0i64; n]);
    for unit in &tree.reporting {
        for (p, period) in periods.iter().enumerate() {
            for (i, indicator) in indicators.iter().enumerate() {
                let part_of = |current: &[i64], lo, hi, rng: &mut Rng| {
                    let whole = indicator.of.map_or(0, |o| current[o]);
                    whole * rng.between(lo, hi) / 100
                };
                let value = match indicator.make {
                    Make::Formula(_) => continue,
                    Make::Count(lo, hi) => rng.between(lo, hi),
                    Make::Money(lo, hi) => rng.between(lo, hi) * 1000,
                    Make::Share(_, lo, hi) | Make::StockShare(_, lo, hi) => part_of(&current, lo, hi, rng),
                    Make::Stock(lo, hi, _) if p == 0 => rng.between(lo, hi),
                    Make::Stock(_, _, change) => {
                        let before = current[i];
                        (before + before * rng.between(change.min(0), change.max(0)) / 1000).max(0)
                    }
                };
                current[i] = value;
                if matches!(period, Period::HalfYear(_, 1)) {
                    first_half[i] = value;
                }
                writeln!(w, "{unit},{},{},{value}", indicator.code, period_codes[p])?;
                written.values += 1;
            }
            if complete(period) {
                let year = period.year();
                for (i, indicator) in indicators.iter().enumerate() {
                    if matches!(indicator.make, Make::Formula(_)) || !rng.chance(WHOLE_YEAR_PER_MILLE) {
                        continue;
                    }
                    // A corrected year total: a little more than the two halves, or for a
                    // stock the year-end figure revised.
                    let value = if indicator.make.aggregation() == "last" {
                        (current[i] + rng.between(-2, 2)).max(0)
                    } else {
                        (first_half[i] + current[i]) * rng.between(100, 110) / 100
                    };
                    writeln!(w, "{unit},{},{year},{value}", indicator.code)?;
                    written.values += 1;
                    written.whole_years += 1;
                }
            }
        }
    }
    w.flush()?;
    Ok(written)
}

fn create(out: &Path, name: &str) -> anyhow::Result<BufWriter<File>> {
    let path = out.join(name);
    let file = File::create(&path).with_context(|| format!("không tạo được tệp {}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, file))
}

/// The `count` half-years ending at [`LAST`], oldest first.
fn half_years(count: usize) -> Vec<Period> {
    let mut periods: Vec<Period> = std::iter::successors(Some(LAST), |p| Some(p.previous()))
        .take(count)
        .collect();
    periods.reverse();
    periods
}

fn bytes(out: &Path, name: &str) -> String {
    std::fs::metadata(out.join(name)).map_or_else(|_| "?".into(), |m| format_integer(m.len() as i64))
}

/// Writes the four files into `args.out` and says what they hold.
pub fn run(args: &BenchDataArgs) -> anyhow::Result<()> {
    if args.provinces == 0 || args.communes < args.provinces {
        bail!("cần ít nhất một tỉnh và ít nhất một xã cho mỗi tỉnh (--communes ≥ --provinces)");
    }
    if args.indicators < 3 {
        bail!("cần ít nhất 3 chỉ tiêu (--indicators): hai chỉ tiêu báo cáo và một tỷ lệ tính từ chúng");
    }
    if !(1..=100).contains(&args.periods) {
        bail!("--periods phải từ 1 đến 100 kỳ 6 tháng");
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("không tạo được thư mục {}", args.out.display()))?;
    let out = args.out.as_path();
    let mut rng = Rng(args.seed);
    let periods = half_years(args.periods);
    let mut years: Vec<i32> = periods.iter().map(Period::year).collect();
    years.dedup();

    let tree = write_units(args, &mut rng, out)?;
    let indicators = write_indicators(args, out)?;
    let clusters = write_clusters(&tree, &years, out)?;
    let values = write_values(&tree, &indicators, &periods, &mut rng, out)?;

    let count = |aggregation: &str| {
        indicators
            .iter()
            .filter(|i| i.make.aggregation() == aggregation)
            .count()
    };
    let n = |x: usize| format_integer(x as i64);
    println!(
        "Đã ghi bộ số liệu giả lập (hạt giống {}) vào {}:",
        args.seed,
        out.display()
    );
    println!(
        "  units.csv: {} đơn vị — Ủy ban Trung ương, {} tỉnh, thành phố, {} xã, phường, {} Ban Công tác Mặt trận khu dân cư ({} byte)",
        n(tree.unit_rows),
        n(tree.provinces.len()),
        n(tree.communes.len()),
        n(tree.unit_rows - 1 - tree.provinces.len() - tree.communes.len()),
        bytes(out, "units.csv")
    );
    println!(
        "  indicators.csv: {} chỉ tiêu — {} cộng dồn, {} lấy số cuối kỳ, {} tính theo công thức ({} byte)",
        n(indicators.len()),
        n(count("sum")),
        n(count("last")),
        n(count("ratio")),
        bytes(out, "indicators.csv")
    );
    let span = match (years.first(), years.last()) {
        (Some(first), Some(last)) if first != last => format!("{} năm {first}–{last}", years.len()),
        _ => format!("năm {}", LAST.year()),
    };
    println!(
        "  clusters.csv: {} cụm thi đua trong {span} ({} byte)",
        n(clusters),
        bytes(out, "clusters.csv")
    );
    println!(
        "  values.csv: {} giá trị của {} kỳ 6 tháng từ {} đến {}, trong đó {} giá trị báo cáo cả năm ({} byte)",
        format_integer(values.values as i64),
        periods.len(),
        periods.first().map_or_else(String::new, Period::code),
        LAST.code(),
        format_integer(values.whole_years as i64),
        bytes(out, "values.csv")
    );
    Ok(())
}
