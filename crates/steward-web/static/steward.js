// Progressive enhancement only: every flow works without JavaScript.
import { initAll } from '/assets/nhsuk.min.js'
initAll()
