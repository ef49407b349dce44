// The HTML validator every page test uses: html-validate's recommended rules, adjusted to
// what the renderer writes.
import { HtmlValidate } from "html-validate";

export const htmlValidator = new HtmlValidate({
  extends: ["html-validate:recommended"],
  rules: {
    // preact-render-to-string writes void elements as <input/>: valid HTML, so the rule only
    // asks that it be done the same way everywhere.
    "void-style": ["error", { style: "selfclose" }],
    // The renderer escapes < and & in every text, which is what HTML needs; the rule would
    // also want > escaped (as in "foo >= 2"), which HTML allows raw in text.
    "no-raw-characters": "off",
  },
});
