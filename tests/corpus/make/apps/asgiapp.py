"""A bare ASGI app (no framework) for uvicorn: GET /v1/profiles/<id>. In APP_MODE=bad the new
serializer reads profile["settings"]["locale"], which older profiles lack, and the exception
escapes to uvicorn, which logs 'Exception in ASGI application' with a traceback and answers 500."""

import asyncio
import json
import os

MODE = os.environ.get("APP_MODE", "good")
PROFILES = {
    i: {"id": i, "name": f"user{i}", **({"settings": {"locale": "en"}} if i % 3 else {})}
    for i in range(1, 501)
}


def serialize(profile: dict) -> dict:
    if MODE == "bad":
        return {"id": profile["id"], "name": profile["name"], "locale": profile["settings"]["locale"]}
    return {
        "id": profile["id"],
        "name": profile["name"],
        "locale": profile.get("settings", {}).get("locale", "en"),
    }


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    status, body = 404, {"detail": "Not Found"}
    if path.startswith("/v1/profiles/"):
        await asyncio.sleep(0.002)
        status, body = 200, serialize(PROFILES[int(path.rsplit("/", 1)[1])])
    elif path == "/healthz":
        status, body = 200, {"ok": True}
    payload = json.dumps(body).encode()
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": payload})
