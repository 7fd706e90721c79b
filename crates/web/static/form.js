// thidua — the data-entry form as the officer types: numbers are read the Vietnamese
// way ("1.084", "85,01", "1,2 tỷ") and shown back formatted, and the validation rules
// between indicators are checked at once. The server checks everything again.
"use strict";
(function () {
  const form = document.getElementById("entry");
  if (!form) return;

  const UNITS = { "tỷ": 1e9, "tỉ": 1e9, "triệu": 1e6, "nghìn": 1e3, "ngàn": 1e3 };

  // Returns a number, null for an empty field, or NaN when the text is not a number.
  function parseVi(text) {
    let s = text.normalize("NFC").trim().toLowerCase().replace(/\s*(đồng|đ|vnđ|vnd)$/u, "").trim();
    if (s === "") return null;
    let factor = 1;
    for (const [word, value] of Object.entries(UNITS)) {
      if (s.endsWith(word)) { factor = value; s = s.slice(0, -word.length).trim(); break; }
    }
    let n;
    if (/^-?\d{1,3}(\.\d{3})+(,\d+)?$/.test(s) || /^-?\d+(,\d+)?$/.test(s)) {
      n = Number(s.replace(/\./g, "").replace(",", "."));
    } else if (/^-?\d+\.\d+$/.test(s)) {
      n = Number(s);
    } else {
      return NaN;
    }
    return Math.round(n * factor * 100) / 100;
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
  }

  // One message per broken rule, as the server words it: the catalog's message once,
  // then every broken link by the indicators' names ("Số kiến nghị (8) không được lớn
  // hơn số vụ phát hiện (5)").
  function checkRules() {
    const messages = [];
    for (const rule of rules) {
      const values = rule.sides.map((c) => (byCode[c] ? parseVi(byCode[c].value) : null));
      const broken = [];
      rule.ops.forEach((op, i) => {
        const a = values[i], b = values[i + 1];
        if (a === null || b === null || Number.isNaN(a) || Number.isNaN(b)) return;
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

  for (const input of inputs) {
    input.addEventListener("input", () => {
      const n = parseVi(input.value);
      fieldError(input, Number.isNaN(n) ? "«" + input.value + "» không phải là số (ví dụ: 1.084; 85,01; 1,2 tỷ)" : "");
      checkRules();
    });
    input.addEventListener("blur", () => {
      const n = parseVi(input.value);
      if (n !== null && !Number.isNaN(n)) input.value = formatVi(n);
    });
  }
  checkRules();
})();
