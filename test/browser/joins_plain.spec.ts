// Joins on Action Cable (the Node server speaking the plain protocol only, as Rails does): see joins.ts.
import { PLAIN_SERVER, test } from "./fixtures"
import { joinSpecs } from "./joins"

test.use({ serverEnv: PLAIN_SERVER })
joinSpecs(1)
