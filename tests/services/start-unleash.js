// Starts Unleash OSS for the real-server tests: its own database on the local PostgreSQL,
// no authentication, listening on 127.0.0.1. Arguments: port database.
const unleash = require('unleash-server');
const [port, database] = process.argv.slice(2);
unleash.start({
  db: {host: '127.0.0.1', port: 5432, user: 'postgres', password: '', database, ssl: false},
  server: {host: '127.0.0.1', port: Number(port)},
  authentication: {type: 'none'},
  getLogger: () => ({debug() {}, info() {}, warn() {}, error: console.error, fatal: console.error}),
}).catch((err) => { console.error(err); process.exit(1); });
