/** The citizen page (GET /): verify, sign (and submit with ?service=), check a receipt. */
import { languageSwitchInit } from "./page.js";
import { initReceipt } from "./receipt.js";
import { initSign } from "./sign.js";
import { initVerify } from "./verify.js";

languageSwitchInit();
initVerify();
initSign();
initReceipt();
