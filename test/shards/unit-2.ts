// Shard 2 of the unit suite (see test/helpers/shard.ts); `npm run test:unit` runs both, two at a time.
import { runShard } from "../helpers/shard";

runShard(2, 2);
