"""Ending sessions for good (sign out, sign out everywhere) and throttling password checks."""


def copy_of_session(app, client, address: str = "127.0.0.1"):
    """Return a new client holding a copy of client's session cookie, as a thief would."""
    copy = app.test_client()
    copy.environ_base["REMOTE_ADDR"] = address
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def assert_sent_to_sign_in(client):
    response = client.get("/editor/")
    assert response.status_code == 302 and response.location.startswith("/auth/sign-in"), (
        response.status_code
    )


def test_a_copied_session_cookie_stops_working_once_signed_out(app, signed_in, auth):
    copy = copy_of_session(app, signed_in)
    assert copy.get("/editor/").status_code == 200
    assert auth.sign_out().status_code == 302
    assert_sent_to_sign_in(copy)
    assert_sent_to_sign_in(signed_in)
    # Signing in again works, and the old copy stays dead.
    assert auth.sign_in().status_code == 302
    assert signed_in.get("/editor/").status_code == 200
    assert_sent_to_sign_in(copy)
