from tests.client import heading


def test_editor_signs_in_and_sees_their_practice(client, world):
    client.sign_in(world.editor.email)
    soup = client.page("/")
    assert heading(soup) == "Alpha Surgery"
