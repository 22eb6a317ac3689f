// The whole patient journey in Chinese (the default language), in four
// browsers: see lib/journey.js. Screenshots: tests/e2e/out/journey-zh/.
import { runJourney } from './lib/journey.js';

runJourney('zh-CN');
