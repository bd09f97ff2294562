// Shard 1 of the unit suite (see test/helpers/shard.ts); `npm run test:unit` runs both, two at a time.
import { runShard } from "../helpers/shard";

runShard(1, 2);
