// The whole patient journey in English (every browser switches language on
// the login page), in four browsers: see lib/journey.js.
// Screenshots: tests/e2e/out/journey-en/.
import { runJourney } from './lib/journey.js';

runJourney('en');
