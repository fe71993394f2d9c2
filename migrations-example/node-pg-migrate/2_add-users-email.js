// A JavaScript migration: node-pg-migrate builds its SQL when it runs. This repository's package.json says
// "type": "module", so the file is ESM (node-pg-migrate 9 loads .js files of either kind).

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.addColumn('users', { email: { type: 'text' } });
  pgm.createIndex('users', 'email', { name: 'users_email_idx', unique: true });
};

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.dropIndex('users', 'email', { name: 'users_email_idx' });
  pgm.dropColumn('users', 'email');
};
