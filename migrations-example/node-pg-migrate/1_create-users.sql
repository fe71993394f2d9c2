-- Users of the app. node-pg-migrate runs the Up section on `up` and the Down section on `down`.

-- Up Migration
CREATE TABLE users (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE users;
