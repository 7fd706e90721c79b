// thidua — the data-entry form as the officer types: each figure is read the Vietnamese
// way ("1.084", "85,01", "1,2 tỷ") by the server's own grammar, and what the server would
// refuse is said at once beside the field, in the server's words; the validation rules
// between indicators are checked at once too. What was typed is never rewritten. The
// server checks everything again.
"use strict";

// Vietnamese numbers, read as thidua_core::number::parse_number and thidua_core's
// Value::parse read them — one grammar, the same messages. Exposed as
// window.thiduaNumbers so that a test runs it over the Rust parser's table of cases
// (crates/core/src/number_cases.tsv) and compares.
window.thiduaNumbers = (function () {
  // text::is_invisible: format and bidirectional controls, and control characters that
  // are not whitespace.
  const INVISIBLE = /[\u061C\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB\u{E0000}-\u{E007F}\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F]/gu;
  // Rust's char::is_whitespace (Unicode White_Space).
  const SPACES = /[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/gu;
  const CURRENCY = ["đồng", "vnđ", "vnd", "đ"];
  const UNITS = [["tỷ", 9], ["tỉ", 9], ["triệu", 6], ["nghìn", 3], ["ngàn", 3]];
  const I128_MAX = (1n << 127n) - 1n;
  const I64_MAX = (1n << 63n) - 1n;
  const I64_MIN = -(1n << 63n);

  // text::nfc: invisible characters dropped, NFC, whitespace runs made one space, trimmed.
  function nfc(text) {
    return text.replace(INVISIBLE, "").normalize("NFC").replace(SPACES, " ").replace(/^ | $/g, "");
  }

  // str::trim, with Rust's whitespace.
  function trim(text) {
    return text.replace(new RegExp("^" + SPACES.source, "u"), "").replace(new RegExp(SPACES.source + "$", "u"), "");
  }

  function normalised(mantissa, scale) {
    while (scale > 0 && mantissa % 10n === 0n) { mantissa /= 10n; scale -= 1; }
    return { mantissa: mantissa, scale: scale };
  }

  // The integer digits and fraction digits of digits, dots and commas, or null when the
  // separators break the rule: dots group thousands when the first group has 1–3 digits
  // and every later one 3; else a lone dot without a comma is a decimal point.
  function splitDigits(body) {
    const comma = body.indexOf(",");
    const intPart = comma < 0 ? body : body.slice(0, comma);
    let frac = comma < 0 ? null : body.slice(comma + 1);
    const allDigits = (s) => /^[0-9]+$/.test(s);
    let intDigits;
    const groups = intPart.split(".");
    if (groups.length === 1) {
      intDigits = intPart;
    } else if (groups[0].length >= 1 && groups[0].length <= 3 && groups.slice(1).every((g) => g.length === 3)) {
      intDigits = groups.join("");
    } else if (frac === null && groups.length === 2) {
      intDigits = groups[0];
      frac = groups[1];
    } else {
      return null;
    }
    if (!allDigits(intDigits) || (frac !== null && !allDigits(frac))) return null;
    return [intDigits, frac === null ? "" : frac];
  }

  // parse_number: { mantissa, scale } (mantissa a BigInt, value mantissa × 10^-scale),
  // or { error } with the server's message.
  function parse(text) {
    const shown = nfc(text);
    if (shown === "") return { error: "số trống" };
    const invalid = { error: "«" + shown + "» không phải là số" };
    const separators = { error: "«" + shown + "» không phải là số hợp lệ: dấu chấm (.) ngăn cách hàng nghìn, dấu phẩy (,) ngăn cách phần thập phân" };
    const tooLarge = { error: "«" + shown + "»: số quá lớn" };
    let body = shown.toLowerCase();
    const currency = CURRENCY.find((c) => body.endsWith(c));
    if (currency) body = body.slice(0, -currency.length).trimEnd();
    let exponent = 0;
    const unit = UNITS.find(([word]) => body.endsWith(word));
    if (unit) { body = body.slice(0, -unit[0].length).trimEnd(); exponent = unit[1]; }
    let negative = false;
    if (body.startsWith("-") || body.startsWith("\u2212")) { negative = true; body = body.slice(1).trimStart(); }
    else if (body.startsWith("+")) { body = body.slice(1).trimStart(); }
    if (body === "" || !/^[0-9.,]+$/.test(body)) return invalid;
    const split = splitDigits(body);
    if (split === null) return separators;
    const intDigits = split[0];
    const frac = split[1].replace(/0+$/, "");
    let mantissa = 0n;
    for (const d of intDigits + frac) {
      mantissa = mantissa * 10n + BigInt(d);
      if (mantissa > I128_MAX) return tooLarge;
    }
    if (negative) mantissa = -mantissa;
    let value = normalised(mantissa, frac.length);
    if (value.scale >= exponent) return normalised(value.mantissa, value.scale - exponent);
    const scaled = value.mantissa * 10n ** BigInt(exponent - value.scale);
    if (scaled > I128_MAX || scaled < -I128_MAX - 1n) return tooLarge;
    return normalised(scaled, 0);
  }

  // Decimal::to_f64: the nearest double.
  function toNumber(d) {
    return d.scale === 0 ? Number(d.mantissa) : Number(d.mantissa + "e-" + d.scale);
  }

  // Value::parse for an indicator of `type` (integer, money, percent, number, text):
  // { whole } (the digits of a whole number, exact), { decimal }, { text }, or { error }
  // with the server's message.
  function check(text, type) {
    if (type === "text") return { text: nfc(text) };
    const d = parse(text);
    if (d.error !== undefined) return d;
    const refused = (reason) => ({ error: "giá trị «" + trim(text) + "» không hợp lệ: " + reason });
    if (type === "integer" || type === "money") {
      if (d.scale !== 0) return refused("phải là số nguyên");
      if (d.mantissa > I64_MAX || d.mantissa < I64_MIN) return refused("số quá lớn (lớn nhất là 9.223.372.036.854.775.807)");
      if (d.mantissa < 0n) return refused("không được là số âm");
      return { whole: d.mantissa.toString() };
    }
    const x = toNumber(d);
    if (type === "percent" && !(x >= 0 && x <= 100)) return refused("tỷ lệ phần trăm phải từ 0 đến 100");
    return { decimal: x };
  }

  return { parse: parse, check: check, nfc: nfc, trim: trim };
})();

(function () {
  const form = document.getElementById("entry");
  if (!form) return;
  const numbers = window.thiduaNumbers;

  // An empty box is no figure, as read_figures on the server has it.
  const empty = (input) => numbers.trim(input.value) === "";

  // The number typed in a field, for the rules: null when empty or refused.
  function valueOf(input) {
    if (empty(input)) return null;
    const v = numbers.check(input.value, input.dataset.type || "number");
    if (v.whole !== undefined) return Number(v.whole);
    if (v.decimal !== undefined) return v.decimal;
    return null;
  }

  function formatVi(n) {
    const [whole, frac] = Math.abs(n).toFixed(2).replace(/\.?0+$/, "").split(".");
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return (n < 0 ? "-" : "") + grouped + (frac ? "," + frac : "");
  }

  const inputs = Array.from(form.querySelectorAll("input.numeric"));
  const rules = JSON.parse(form.dataset.rules || "[]");
  const byCode = Object.fromEntries(inputs.map((i) => [i.dataset.code, i]));
  const holds = { "<=": (a, b) => a <= b, "<": (a, b) => a < b, ">=": (a, b) => a >= b, ">": (a, b) => a > b, "=": (a, b) => a === b, "==": (a, b) => a === b };
  const phrase = { "<=": "không được lớn hơn", "<": "phải nhỏ hơn", ">=": "không được nhỏ hơn", ">": "phải lớn hơn", "=": "phải bằng", "==": "phải bằng" };

  function fieldError(input, message) {
    const box = document.getElementById("e_" + input.dataset.code);
    if (box) box.textContent = message;
    input.closest(".field").classList.toggle("invalid", message !== "");
    if (message === "") input.removeAttribute("aria-invalid"); else input.setAttribute("aria-invalid", "true");
  }

  // One message per broken rule, as the server words it: the catalog's message once,
  // then every broken link by the indicators' names ("Số kiến nghị (8) không được lớn
  // hơn số vụ phát hiện (5)").
  function checkRules() {
    const messages = [];
    for (const rule of rules) {
      const values = rule.sides.map((c) => (byCode[c] ? valueOf(byCode[c]) : null));
      const broken = [];
      rule.ops.forEach((op, i) => {
        const a = values[i], b = values[i + 1];
        if (a === null || b === null) return;
        if (!holds[op](a, b)) {
          const link = rule.links && rule.links[i];
          broken.push(link
            ? link[broken.length === 0 ? 0 : 1].replace("{a}", formatVi(a)).replace("{b}", formatVi(b))
            : rule.sides[i] + " = " + formatVi(a) + " " + phrase[op] + " " + rule.sides[i + 1] + " = " + formatVi(b));
        }
      });
      if (broken.length > 0) {
        const generated = broken.join("; ");
        messages.push(rule.message ? rule.message + " (" + generated + ")" : generated);
      }
    }
    document.getElementById("rule-errors").textContent = messages.join(" · ");
  }

  // Why the server would refuse what is typed, as it says it: "Tên chỉ tiêu: giá trị
  // «-5» không hợp lệ: không được là số âm"; empty when it would not.
  function refusal(input) {
    if (empty(input)) return "";
    const v = numbers.check(input.value, input.dataset.type || "number");
    if (v.error === undefined) return "";
    const label = form.querySelector('label[for="' + input.id + '"]');
    return (label ? label.textContent.trim() + ": " : "") + v.error;
  }

  for (const input of inputs) {
    input.addEventListener("input", () => {
      fieldError(input, refusal(input));
      checkRules();
    });
  }
  checkRules();
})();
