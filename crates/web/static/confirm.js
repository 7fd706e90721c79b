// Xác nhận trước bước không quay lại được — a plain dialog before a step that cannot be
// undone (Gửi duyệt, Ban hành và đăng, Gửi phiếu, Kết thúc bỏ phiếu). A button or form
// names its question in data-confirm; without JavaScript the step goes ahead as the
// server allows (which itself asks again where figures are missing).
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm], input[type=submit][data-confirm]");
  if (!button || button.disabled) return;
  if (!window.confirm(button.dataset.confirm)) {
    event.preventDefault();
    event.stopPropagation();
  }
}, true);
document.addEventListener("submit", (event) => {
  const form = event.target;
  // A form's own question, unless the button pressed already asked.
  const asked = event.submitter && event.submitter.hasAttribute("data-confirm");
  if (form.dataset.confirm && !asked && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
}, true);
