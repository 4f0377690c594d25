// Joins on AnyCable's extended protocol (the Node server speaks it, as anycable-go does): see joins.ts.
import { joinSpecs } from "./joins"

joinSpecs(0)
