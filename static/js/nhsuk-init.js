// The NHS design system's components (error summary focus, character counts, tabs,
// header menu, skip link...) start here: nhsuk-frontend wants a body class saying the
// browser runs its modules, then initAll. An external module, as our CSP allows no
// inline script.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
