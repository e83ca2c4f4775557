// Prints the state of every service of a running warden daemon, then follows their changes
// (docs/library.md, "A client of the daemon"). Ctrl-C to stop.
import { connect } from 'warden';

const client = await connect(); // the home of `warden up`: $WARDEN_HOME or the default
const { instances } = await client.status();
for (const i of instances) console.log(`${i.name}: ${i.state}${i.pid ? ` (pid ${i.pid})` : ''}`);

const events = client.events();
process.once('SIGINT', () => events.close());
for await (const e of events) {
  if ('dropped' in e) console.log(`(${e.dropped} events dropped)`);
  else
    console.log(
      `${new Date(e.time).toISOString()} ${e.instance}: ${e.from} -> ${e.to} (${e.reason})`,
    );
}
client.close();
