/*
 * The "No tracking" toolbar button of the outbound-no-track rich-text feature.
 *
 * A Draftail control, not the inline style's own button: Draftail puts every
 * inline-style button first, before Bold, while this one is about links and
 * belongs after the link controls. It toggles the inline style that
 * rich_text.py registers without a button. The script tag carries the
 * translated tooltip in data-title.
 */
(() => {
  const STYLE = "OUTBOUND_NO_TRACK";
  const script = document.currentScript;
  const title = (script && script.dataset.title) || "No tracking";
  // Globals of Wagtail's draftail.js, which loads before this file.
  const { React, Draftail, DraftJS, draftail } = window;
  // The markup of Wagtail's own icons, from the admin's sprite.
  const icon = React.createElement(
    "svg",
    { className: "icon icon-no-view", "aria-hidden": "true" },
    React.createElement("use", { href: "#icon-no-view" }),
  );

  const NoTrackButton = ({ getEditorState, onChange }) =>
    React.createElement(Draftail.ToolbarButton, {
      name: STYLE,
      title,
      icon,
      active: getEditorState().getCurrentInlineStyle().has(STYLE),
      onClick: () =>
        onChange(DraftJS.RichUtils.toggleInlineStyle(getEditorState(), STYLE)),
    });

  draftail.registerPlugin({ type: STYLE, inline: NoTrackButton }, "controls");
})();
