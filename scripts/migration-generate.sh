#!/usr/bin/env bash
# Generates a migration named $1 for every dialect from the entities, with the TypeORM CLI.
# Each dialect gets a scratch database with the existing migrations applied, so the CLI
# diffs against exactly what they build. MySQL: MIGRATION_MYSQL_URL (a server where the
# user may create databases), default mysql://root@127.0.0.1:3306.
set -euo pipefail
name=${1:?usage: npm run migration:generate -- <PascalCaseName>}
cd "$(dirname "$0")/.."
typeorm=(npx --no-install typeorm-ts-node-commonjs)

scratch_sqlite=$(mktemp -d)/scratch.sqlite
DATABASE_URL="sqlite:$scratch_sqlite" "${typeorm[@]}" migration:run -d ormconfig.ts >/dev/null
DATABASE_URL="sqlite:$scratch_sqlite" "${typeorm[@]}" migration:generate -d ormconfig.ts \
  "src/database/migrations/sqlite/$name"

server=${MIGRATION_MYSQL_URL:-mysql://root@127.0.0.1:3306}
db="migration_scratch_$$"
mysql_exec() { node -e "
  const m = require('mysql2/promise');
  m.createConnection('$server').then(async c => { await c.query(process.argv[1]); await c.end(); });
" "$1"; }
mysql_exec "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
trap 'mysql_exec "DROP DATABASE IF EXISTS \`$db\`"' EXIT
DATABASE_URL="$server/$db" "${typeorm[@]}" migration:run -d ormconfig.ts >/dev/null
DATABASE_URL="$server/$db" "${typeorm[@]}" migration:generate -d ormconfig.ts \
  "src/database/migrations/mysql/$name"

bash scripts/migration-index.sh
npx --no-install prettier --write src/database/migrations >/dev/null
