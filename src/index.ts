/** The bundle's entry: the only module with side effects. */
import { run } from './main.js';

await run();
