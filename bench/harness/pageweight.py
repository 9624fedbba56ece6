"""Page weight and time to a usable page on a slow link, in headless Chromium.

The link is emulated through the Chrome DevTools Protocol (``Network.emulateNetworkConditions``:
400 kbit/s both ways, 400 ms round trip). Bytes are what crossed the network for the page
and everything it loaded (``encodedDataLength``: compressed bodies plus headers; files
served from the browser cache count 0). "First load" is a browser with an empty cache;
"later screen" is the next page in the same browser. Time to usable = navigation start to
the ``load`` event (every script and style applied), also reported at DOMContentLoaded.
"""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
KBIT = 400
RTT_MS = 400


class _Meter:
    def __init__(self, context: Any, page: Any) -> None:
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": RTT_MS,
            "downloadThroughput": KBIT * 1000 / 8, "uploadThroughput": KBIT * 1000 / 8})
        self.bytes = 0
        self.requests = 0
        self.docs: dict[str, int] = {}
        self._doc_ids: set[str] = set()
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)

    def _response(self, event: dict[str, Any]) -> None:
        if event.get("type") == "Document":
            self._doc_ids.add(event["requestId"])

    def _finished(self, event: dict[str, Any]) -> None:
        size = int(event.get("encodedDataLength", 0))
        self.bytes += size
        self.requests += 1
        if event["requestId"] in self._doc_ids:
            self.docs[event["requestId"]] = size

    def reset(self) -> None:
        self.bytes = 0
        self.requests = 0
        self.docs = {}
        self._doc_ids = set()


def _timing(page: Any) -> dict[str, float]:
    nav = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
        return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }""")
    return {"dom_content_loaded_s": round(nav["dcl"] / 1000, 2),
            "usable_s": round(nav["load"] / 1000, 2)}


def _measure(meter: _Meter, page: Any, action: Any) -> dict[str, Any]:
    meter.reset()
    action()
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # late loadingFinished events
    out: dict[str, Any] = {"bytes": meter.bytes, "kb": round(meter.bytes / 1024, 1),
                           "requests": meter.requests,
                           "html_bytes": max(meter.docs.values()) if meter.docs else None,
                           "url": page.url.split("?")[0]}
    out.update(_timing(page))
    return out


def measure(base: str, *, username: str, password: str, case_id: int,
            form_path: str | None) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    result: dict[str, Any] = {"link": f"{KBIT} kbit/s down and up, {RTT_MS} ms RTT (CDP)",
                              "browser": "Chromium headless (Playwright)"}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            meter = _Meter(context, page)
            later: dict[str, Any] = {}
            first: dict[str, Any] = {}
            first["login"] = _measure(meter, page, lambda: page.goto(base + "/login/"))

            def submit() -> None:
                page.fill("#id_username", username)
                page.fill("#id_password", password)
                with page.expect_navigation():
                    page.press("#id_password", "Enter")
            later["case_list_after_login"] = _measure(meter, page, submit)
            later["case_view"] = _measure(meter, page,
                                          lambda: page.goto(f"{base}/cases/{case_id}/"))
            if form_path:
                later["assessment_form"] = _measure(meter, page,
                                                    lambda: page.goto(base + form_path))
            later["case_list"] = _measure(meter, page, lambda: page.goto(base + "/"))
            state = context.storage_state()
            context.close()
            # First loads of the signed-in pages: a new browser profile (empty cache)
            # holding the session cookie.
            for name, path in (("case_list", "/"), ("case_view", f"/cases/{case_id}/"),
                               ("assessment_form", form_path)):
                if not path:
                    continue
                cold = browser.new_context(storage_state=state)
                cold_page = cold.new_page()
                cold_meter = _Meter(cold, cold_page)
                first[name] = _measure(cold_meter, cold_page,
                                       lambda cp=cold_page, pth=path: cp.goto(base + pth))
                cold.close()
        finally:
            browser.close()
    result["first_load"] = first
    result["later_screen"] = later
    if not form_path:
        result["assessment_form"] = "not measured: the form page was not available"
    return result
