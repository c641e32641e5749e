"""POST /api/auth/login: tokens, wrong credentials, blocked users, body validation (docs/api.md)."""

from __future__ import annotations

import json
from datetime import timedelta

import jwt
import pytest

from auth_support import assert_error, assert_user, bearer, create_user, login, new_email
from conftest import JWT_SECRET, ROOT_EMAIL, ROOT_PASSWORD


@pytest.fixture(scope="module")
def member(client, root_headers):
    """A plain admin (no permissions), made through the API with a known password."""
    return create_user(client, root_headers)


def test_login_returns_a_working_token_and_the_user(client, member, mongo):
    response = login(client, member["email"], "User-pass-1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"token", "user"}
    user = assert_user(body["user"])
    assert user == member | {"updated": user["updated"]}
    assert "passwordHash" not in response.text and "tokenVersion" not in response.text

    claims = jwt.decode(body["token"], JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == member["id"]
    assert claims["tv"] == mongo.users.find_one({"email": member["email"]})["tokenVersion"]
    # settings.toml: jwt.expiration = "168h"
    assert timedelta(seconds=claims["exp"] - claims["iat"]) == timedelta(hours=168)

    me = client.get("/api/auth/me", headers=bearer(body["token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == member["id"]


def test_root_login(client):
    response = login(client, ROOT_EMAIL, ROOT_PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["isRoot"] is True


def test_email_is_matched_without_case_or_surrounding_spaces(client, member):
    response = login(client, "  " + member["email"].upper() + " ", "User-pass-1")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == member["id"]


def test_the_password_is_case_sensitive(client, member):
    assert_error(login(client, member["email"], "user-pass-1"), 401, "invalid_credentials")


def test_wrong_password_and_unknown_email_look_the_same(client, member):
    wrong = assert_error(login(client, member["email"], "Wrong-pass-1"), 401, "invalid_credentials")
    unknown = assert_error(login(client, new_email(), "Wrong-pass-1"), 401, "invalid_credentials")
    # The same message, so that the answer does not tell which emails have accounts.
    assert wrong == unknown
    assert "fields" not in wrong


def test_a_blocked_user_cannot_sign_in(client, root_headers):
    user = create_user(client, root_headers)
    assert client.post(f"/api/users/{user['id']}/block", headers=root_headers).status_code == 200
    assert_error(login(client, user["email"], "User-pass-1"), 403, "user_blocked")
    # A wrong password still says only that the credentials are wrong.
    assert_error(login(client, user["email"], "Wrong-pass-1"), 401, "invalid_credentials")

    assert client.post(f"/api/users/{user['id']}/unblock", headers=root_headers).status_code == 200
    assert login(client, user["email"], "User-pass-1").status_code == 200


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, ["email", "password"]),
        ({"email": ROOT_EMAIL}, ["password"]),
        ({"password": ROOT_PASSWORD}, ["email"]),
        ({"email": ROOT_EMAIL, "password": ""}, ["password"]),
        ({"email": ROOT_EMAIL, "password": "x" * 257}, ["password"]),
        ({"email": "a@", "password": ROOT_PASSWORD}, ["email"]),
        ({"email": "a" * 250 + "@m3m.test", "password": ROOT_PASSWORD}, ["email"]),
        ({"email": 42, "password": ROOT_PASSWORD}, ["email"]),
        ({"email": None, "password": ROOT_PASSWORD}, ["email"]),
        ({"email": ROOT_EMAIL, "password": ["Root-pass-1"]}, ["password"]),
        ({"email": ROOT_EMAIL, "password": {"$ne": ""}}, ["password"]),
        ({"email": {"$regex": ".*"}, "password": ROOT_PASSWORD}, ["email"]),
        ({"email": ROOT_EMAIL, "password": ROOT_PASSWORD, "remember": True}, ["remember"]),
    ],
)
def test_invalid_fields_are_422_naming_the_field(client, payload, fields):
    error = assert_error(client.post("/api/auth/login", json=payload), 422, "validation_failed", fields)
    assert set(error["fields"]) == set(fields)


@pytest.mark.parametrize(
    "raw",
    [b"{", b"not json", b'{"email": "a@b.c",}', b"\xff\xfe{}", b"[]", b"null", b'"text"', b"42",
     b'[{"email": "root@m3m.test"}]'],
)
def test_malformed_json_is_400(client, raw):
    response = client.post("/api/auth/login", content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "malformed_json")


def test_an_empty_body_is_a_validation_error(client):
    response = client.post("/api/auth/login", content=b"", headers={"Content-Type": "application/json"})
    assert_error(response, 422, "validation_failed", ["email", "password"])


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_a_curl_style_body_without_the_json_content_type_works(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    raw = json.dumps({"email": ROOT_EMAIL, "password": ROOT_PASSWORD}).encode()
    response = client.post("/api/auth/login", content=raw, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == ROOT_EMAIL


def test_login_takes_only_post(client):
    response = client.get("/api/auth/login")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
