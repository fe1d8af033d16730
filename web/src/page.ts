/** What both pages do first: fill the texts of the page's language and set the language switch. */
import { $ } from "./dom.js";
import { languageSwitch, translate } from "./i18n.js";

export { $ };

export function languageSwitchInit(): void {
  translate();
  languageSwitch($<HTMLAnchorElement>("#lang-switch"));
}
