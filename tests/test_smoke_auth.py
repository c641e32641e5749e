from conftest import ROOT_EMAIL


def test_login_and_me(client, root_headers):
    me = client.get("/api/auth/me", headers=root_headers)
    assert me.status_code == 200
    assert me.json()["email"] == ROOT_EMAIL
    assert me.json()["isRoot"] is True
