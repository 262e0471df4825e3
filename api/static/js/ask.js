// Asks the service about the link's leaf as soon as the page is parsed, while the rest of
// the page's code still loads (verify.js takes the answer over).
import { startEarly } from './service.js';

const leaf = document.getElementById('main').dataset.leaf || '';
if (/^0x[0-9a-f]{64}$/.test(leaf)) startEarly({ leaf });
