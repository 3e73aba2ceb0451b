"""Hotkeys that work whatever has focus, except while typing in a text field; Escape leaves a text field.

Streamlit's button shortcuts ignore key presses whose target is any form control, a radio or a closed select
included, so after a click on the queue radio or the article picker the keys did nothing until the reviewer clicked
on empty space. This script, installed once per browser tab, presses the bound button itself in exactly those cases.
"""

from __future__ import annotations

import json

import streamlit as st

_SCRIPT = """<script>
(() => {
  window.__annotatorKeys = %s;  // key -> Streamlit element key of the button it presses
  if (window.__annotatorKeysInstalled) return;
  window.__annotatorKeysInstalled = true;
  const CONTROLS = ["radio", "checkbox", "range", "button", "submit", "reset", "file", "color"];
  const typing = (el) => !!el && (el.isContentEditable || el.tagName === "TEXTAREA" ||
    (el.tagName === "INPUT" && !CONTROLS.includes(el.type) &&
     !(el.getAttribute("role") === "combobox" && el.getAttribute("aria-expanded") !== "true")));
  // Tab order starts at the labelling buttons (and the Review page's): they come first, in their order.
  const first = () => document.querySelectorAll(
    "[class*='st-key-label-'] button, [class*='st-key-review-'] button").forEach((b) => { b.tabIndex = 1; });
  new MutationObserver(first).observe(document.body, {childList: true, subtree: true});
  first();
  // A clicked button gives the focus back, so that Enter next means "accept", not "that button again".
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button");
    if (button && event.detail > 0) setTimeout(() => button.blur(), 0);  // a mouse click, not a key
  }, true);
  document.addEventListener("keydown", (event) => {
    const el = document.activeElement;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (el && el.tagName === "BUTTON" && (event.key === "Enter" || event.key === " ")) {
      event.stopImmediatePropagation();  // a focused button takes Enter itself; no shortcut as well
      return;
    }
    if (typing(el)) {
      if (event.key === "Escape") el.blur();
      return;
    }
    // Elsewhere Streamlit's own shortcuts answer; on a form control they stay silent, so press the button here.
    if (!el || !["INPUT", "SELECT"].includes(el.tagName)) return;
    // Shift+1 is "!" on one keyboard and something else on another: digits are named by the key's position.
    const key = event.code.startsWith("Digit") ? event.code.slice(5) : event.key;
    const target = window.__annotatorKeys[(event.shiftKey && key.length === 1 ? "shift+" : "") + key];
    const button = target && document.querySelector(`.st-key-${CSS.escape(target)} button`);
    if (!button || button.disabled) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    el.blur();
    button.click();
  }, true);
})();
</script>"""


def bind(bindings: dict[str, str]) -> None:
    """Make each key (as the browser names it: "1", "u", "Enter", "shift+1") press the button with that Streamlit
    key."""
    st.html(_SCRIPT % json.dumps(bindings).replace("</", "<\\/"), unsafe_allow_javascript=True)


def for_labels(scheme, prefix: str, *, shift: bool = False) -> dict[str, str]:
    """Each label's hotkey (Shift + it with `shift`) and the button PREFIX-KEY it presses (see `common.label_buttons`)."""
    return {("shift+" if shift else "") + label.hotkey: f"{prefix}-{label.key}" for label in (*scheme.labels, scheme.skip)}
