"""The JSON API: one ``Api`` (flask-smorest) and the blueprints it registers."""
