-- migrate:up
CREATE TABLE posts (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title text NOT NULL,
  body text NOT NULL DEFAULT ''
);
CREATE INDEX posts_user_id_idx ON posts (user_id);

-- migrate:down
DROP TABLE posts;
