"""The preview page's style sheet: Slack's light theme, in system fonts (the page loads nothing)."""

from __future__ import annotations

STYLE = """
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; background: #f4f4f4; color: #1d1c1d;
  font: 15px/1.46668 -apple-system, BlinkMacSystemFont, "Segoe UI", Lato, "Helvetica Neue", Helvetica,
  Arial, sans-serif; }
body > header { max-width: 760px; margin: 0 auto 8px; }
body > header h1 { font-size: 24px; margin: 0 0 4px; }
.picture { max-width: 760px; margin: 0 auto 32px; }
.picture > h2 { font-size: 18px; margin: 24px 0 2px; }
.picture > .caption { color: #616061; margin: 0 0 10px; }
body:has(.picture:target) { padding: 16px; background: #ffffff; }
body:has(.picture:target) > header, body:has(.picture:target) .picture:not(:target),
.picture:target > h2, .picture:target > .caption { display: none; }
.picture:target { margin: 0; }
.surface { background: #fff; border: 1px solid #dddddd; border-radius: 8px; overflow: hidden; }
.surface + .surface { margin-top: 16px; }
.channel-bar, .app-bar { padding: 10px 20px; border-bottom: 1px solid #dddddd; font-weight: 900; }
.app-bar .tabs { display: flex; gap: 24px; margin-top: 8px; font-weight: 400; color: #616061; }
.app-bar .tabs .on { color: #1d1c1d; font-weight: 700; border-bottom: 2px solid #1264a3; }
.message { display: flex; gap: 8px; padding: 8px 20px; }
.avatar { flex: none; width: 36px; height: 36px; border-radius: 6px; background: #4a154b; color: #fff;
  font-weight: 900; display: flex; align-items: center; justify-content: center; }
.message-body { flex: 1; min-width: 0; }
.author { font-weight: 900; }
.badge { font-size: 10px; font-weight: 700; color: #616061; background: #eeeeee; border-radius: 2px;
  padding: 1px 3px; margin-left: 4px; vertical-align: 2px; }
.time { color: #616061; font-size: 12px; margin-left: 6px; }
.thread { margin: 0 20px 12px 64px; border-left: 3px solid #dddddd; }
.thread-label { color: #1264a3; font-size: 13px; font-weight: 700; padding: 0 12px; }
.home { padding: 12px 20px 20px; }
.block { margin: 6px 0; }
.block h3 { font-size: 18px; font-weight: 900; margin: 10px 0 4px; }
.block.section { display: flex; gap: 12px; }
.section-body { flex: 1; min-width: 0; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin-top: 8px; }
.block.context { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center;
  color: #616061; font-size: 13px; }
.context-image { width: 20px; height: 20px; border-radius: 4px; }
.block hr { border: 0; border-top: 1px solid #dddddd; margin: 12px 0; }
.block.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
.button { font: inherit; font-size: 14px; font-weight: 700; height: 32px; padding: 0 12px;
  border-radius: 4px; border: 1px solid rgba(29, 28, 29, 0.3); background: #fff; color: #1d1c1d; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.button.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
.block-image { display: block; max-width: 100%; border-radius: 8px; border: 1px solid #eeeeee; }
.image-title { color: #616061; font-size: 13px; margin-bottom: 4px; }
.missing-image { display: inline-block; padding: 8px; background: #f8f8f8; border: 1px dashed #bbbbbb;
  border-radius: 6px; color: #616061; font-size: 13px; }
.block.input label { display: block; font-weight: 700; margin-bottom: 6px; }
.optional, .hint { color: #616061; font-weight: 400; font-size: 13px; }
.hint { margin-top: 4px; }
.select, .text-input { display: flex; justify-content: space-between; align-items: center;
  min-height: 36px; padding: 6px 10px; border: 1px solid rgba(29, 28, 29, 0.3); border-radius: 4px;
  background: #fff; }
.text-input.multiline { min-height: 84px; align-items: flex-start; }
.placeholder, .select.placeholder > span:first-child { color: #868686; }
.caret { color: #616061; margin-left: 8px; }
.date-input { max-width: 220px; }
.block.input { margin: 0 0 20px; }
.mention { color: #1264a3; background: rgba(29, 155, 209, 0.1); border-radius: 3px; padding: 0 2px; }
.link { color: #1264a3; }
code { color: #e01e5a; background: #f8f8f8; border: 1px solid #dddddd; border-radius: 3px;
  padding: 0 3px; font-size: 12px; font-family: Menlo, Monaco, Consolas, "Courier New", monospace; }
pre.code { background: #f8f8f8; border: 1px solid #dddddd; border-radius: 4px; padding: 8px;
  white-space: pre-wrap; font-size: 12px; }
.unknown { color: #8a5a00; background: #fff6e0; border: 1px dashed #e8a400; border-radius: 4px;
  padding: 4px 8px; font-size: 13px; }
.backdrop { background: rgba(0, 0, 0, 0.45); padding: 32px; border-radius: 8px; overflow: hidden; }
.modal { width: 520px; margin: 0 auto; background: #fff; border-radius: 8px;
  box-shadow: 0 18px 48px rgba(0, 0, 0, 0.35); }
.modal-head { display: flex; justify-content: space-between; align-items: center; padding: 18px 24px;
  border-bottom: 1px solid #dddddd; font-size: 22px; font-weight: 900; }
.modal-head .close { font-weight: 400; color: #616061; }
.modal-body { padding: 16px 24px 4px; }
.modal-foot { display: flex; justify-content: flex-end; gap: 12px; padding: 16px 24px;
  border-top: 1px solid #dddddd; }
"""
