// Nhập bảng cả cụm: moves the job page's progress bar from the server's events
// (/clusters/{code}/workbook/jobs/{id}/events) and reloads the page, which then shows
// the result, when the job ends. Without JavaScript the page refreshes itself instead.
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job || !window.EventSource) {
    return;
  }
  var bar = document.getElementById("job-progress");
  var label = document.getElementById("job-label");
  var source = new EventSource(job.getAttribute("data-events"));
  source.addEventListener("progress", function (event) {
    var p;
    try {
      p = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (p.total > 0) {
      bar.max = p.total;
      bar.value = p.done;
    } else {
      bar.removeAttribute("value");
    }
    label.textContent = p.label;
  });
  source.addEventListener("done", function (event) {
    source.close();
    try {
      label.textContent = JSON.parse(event.data).message;
    } catch (e) {
      // The page itself says how it ended.
    }
    window.location.reload();
  });
  source.onerror = function () {
    // The stream closed (the job ended or expired): the page says which.
    source.close();
    window.location.reload();
  };
})();
