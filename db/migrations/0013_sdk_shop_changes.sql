-- The storefront SDK documents (src/experiments/sdk_document.h) also depend on the shop row: an uninstalled shop, or
-- one whose public id changed, must stop being served by every server within seconds, not after the cache's max-age.
-- The same channel and payload as the experiments trigger (0004): every server LISTENing on pagelift_experiments drops
-- the shop's document when the row's uninstalled_at or public_id changes, or the row goes. A trigger rather than
-- application code so that no path (the app/uninstalled webhook, a shop/redact, a manual UPDATE) can forget it.
-- Runs inside one transaction (the migration runner opens it); do not add BEGIN/COMMIT here.

CREATE FUNCTION pagelift_notify_shop_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('pagelift_experiments', OLD.id::text);
    RETURN OLD;
  END IF;
  PERFORM pg_notify('pagelift_experiments', NEW.id::text);
  RETURN NEW;
END;
$$;

CREATE TRIGGER shops_notify_sdk_change
  AFTER UPDATE OF uninstalled_at, public_id ON shops
  FOR EACH ROW
  WHEN (OLD.uninstalled_at IS DISTINCT FROM NEW.uninstalled_at OR OLD.public_id IS DISTINCT FROM NEW.public_id)
  EXECUTE FUNCTION pagelift_notify_shop_change();

CREATE TRIGGER shops_notify_sdk_delete
  AFTER DELETE ON shops
  FOR EACH ROW EXECUTE FUNCTION pagelift_notify_shop_change();
