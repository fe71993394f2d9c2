-- Test scaffolding, not from the repository: run on each fresh database before its migrations.
-- 0002-storage-schema.sql creates cluster-wide roles (anon, authenticated, service_role, authenticator)
-- without IF NOT EXISTS, so it can run once per server, and the corpus test migrates four databases on one
-- server. The migrations read these settings (current_setting('storage.…', true)): skip the role
-- installation and point the grants at the role that runs the migrations.
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET storage.install_roles = %L', current_database(), 'false');
  EXECUTE format('ALTER DATABASE %I SET storage.anon_role = %L', current_database(), current_user);
  EXECUTE format('ALTER DATABASE %I SET storage.authenticated_role = %L', current_database(), current_user);
  EXECUTE format('ALTER DATABASE %I SET storage.service_role = %L', current_database(), current_user);
  EXECUTE format('ALTER DATABASE %I SET storage.super_user = %L', current_database(), current_user);
END
$$;
