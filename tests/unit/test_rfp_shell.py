"""The RFP's SSH shell and logins as plain objects: the command parser, the shell's replies and
actions, who may log in (seed 000 "Securing Operating System User Interfaces"), md5-crypt."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfp.access import OmmAccess, RemoteAccess, Verdict
from rfp.shell import Action, Command, RfpShell, ShellSyntaxError, parse_command
from sipdect.accounts import md5_crypt, verify_md5_crypt
from sipdect.link.system import SysPasswd


class FakeRfp:
    def __init__(self, root_password: str = "22222") -> None:
        self.root_password = root_password

    def shell_state(self) -> list[tuple[str, str]]:
        return [("MAC", "00:30:42:00:00:01"), ("remote access", "factory")]

    def shell_ip(self) -> list[tuple[str, str]]:
        return [("address", "127.0.1.5")]

    def shell_omm(self) -> list[tuple[str, str]]:
        return [("ommip1", "127.0.1.1:16321")]

    def shell_syslog(self) -> list[str]:
        return ["line one", "line two"]

    def check_root_password(self, password: str) -> bool:
        return password == self.root_password


# -- the parser ------------------------------------------------------------------------------
@pytest.mark.parametrize(("line", "command"), [
    ("state", Command("state")),
    ("  su   root ", Command("su", ("root",))),
    ("su -", Command("su", ("-",))),
    ("echo 'a b' \"c d\"", Command("echo", ("a b", "c d"))),
    ("logread # newest last", Command("logread")),
    ("a\\ b", Command("a b")),
])
def test_lines_split_as_sh_does(line: str, command: Command) -> None:
    assert parse_command(line) == command


@pytest.mark.parametrize("line", ["", "   ", "# a comment", "\t"])
def test_blank_lines_are_no_command(line: str) -> None:
    assert parse_command(line) is None


@pytest.mark.parametrize("line", ["echo 'open", 'say "x', "trailing\\"])
def test_an_unterminated_quote_is_a_syntax_error(line: str) -> None:
    with pytest.raises(ShellSyntaxError):
        parse_command(line)


@given(st.text(max_size=200))
def test_any_line_parses_or_is_a_syntax_error(line: str) -> None:
    try:
        command = parse_command(line)
    except ShellSyntaxError:
        return
    assert command is None or command.name


@given(st.text(max_size=80))
def test_any_line_gets_an_answer_and_a_prompt(line: str) -> None:
    shell = RfpShell(FakeRfp(), "RFP-1", "omm")
    reply = shell.feed(line)
    assert reply.close or reply.text.endswith(shell.prompt) or not reply.echo


# -- the shell -------------------------------------------------------------------------------
def test_an_unknown_command_answers_as_busybox_ash() -> None:
    reply = RfpShell(FakeRfp(), "RFP-1", "omm").feed("ls -l /", interactive=False)
    assert (reply.text, reply.status) == ("-sh: ls: not found\n", 127)
    assert [line.msg for line in reply.log] == ["omm: command: ls -l /"]


def test_reboot_and_factory_reset_need_root() -> None:
    shell = RfpShell(FakeRfp(), "RFP-1", "omm")
    for command in ("reboot", "factoryreset"):
        reply = shell.feed(command)
        assert reply.status == 1 and "permission denied" in reply.text and not reply.actions
    root = RfpShell(FakeRfp(), "RFP-1", "root", root=True)
    reply = root.feed("reboot")
    assert reply.actions == [Action.REBOOT] and reply.close
    assert RfpShell(FakeRfp(), "RFP-1", "root", root=True).feed("factoryreset").actions == [
        Action.FACTORY_RESET]


def test_su_asks_the_root_password_without_echo_and_exit_goes_back() -> None:
    shell = RfpShell(FakeRfp(), "RFP-1", "omm")
    asked = shell.feed("su")
    assert asked.text == "Password: " and not asked.echo
    wrong = shell.feed("nope")
    assert "su: incorrect password" in wrong.text and wrong.text.endswith("omm@RFP-1:~$ ")
    assert [line.msg for line in wrong.log] == ["su: FAILED omm to root"]
    shell.feed("su")
    right = shell.feed("22222")
    assert right.text.endswith("root@RFP-1:~# ") and shell.root
    assert all("22222" not in line.msg for line in right.log)  # a password is never logged
    assert not shell.feed("exit").close and not shell.root  # back in the user shell
    assert shell.feed("exit").close


def test_su_to_another_user_is_refused() -> None:
    reply = RfpShell(FakeRfp(), "RFP-1", "omm").feed("su admin", interactive=False)
    assert reply.text == "su: unknown user admin\n" and reply.echo


def test_state_ip_omm_and_logread_show_the_rfp() -> None:
    shell = RfpShell(FakeRfp(), "RFP-1", "omm")
    assert "remote access  factory" in shell.feed("state").text
    assert "127.0.1.5" in shell.feed("ifconfig").text
    assert "ommip1  127.0.1.1:16321" in shell.feed("omm").text
    assert shell.feed("logread", interactive=False).text == "line one\nline two\n"
    assert "factoryreset" in shell.feed("help").text


# -- who may log in ----------------------------------------------------------------------------
def omm_access(remote_access: bool = True) -> OmmAccess:
    message = SysPasswd.create(root_user="root", root_hash=md5_crypt("Su-2026!"),
                               admin_user="omm", admin_hash=md5_crypt("Omm-Admin-2026"),
                               remote_access=remote_access)
    return OmmAccess.from_message(SysPasswd.from_payload(message.to_bytes()))


def test_factory_logins() -> None:
    access = RemoteAccess()
    assert access.check_login("omm", "omm") is Verdict.USER
    assert access.check_login("root", "22222") is Verdict.ROOT
    assert access.check_login("root", "omm") is Verdict.BAD_PASSWORD
    assert access.check_login("admin", "omm") is Verdict.UNKNOWN_USER
    assert access.check_root_password("22222")


def test_after_sys_passwd_the_omms_account_and_no_root() -> None:
    access = RemoteAccess(omm_access())
    assert access.check_login("omm", "omm") is Verdict.BAD_PASSWORD
    assert access.check_login("omm", "Omm-Admin-2026") is Verdict.USER
    assert access.check_login("root", "Su-2026!") is Verdict.ROOT_REFUSED
    assert access.check_root_password("Su-2026!") and not access.check_root_password("22222")


def test_remote_access_off_refuses_everyone() -> None:
    access = RemoteAccess(omm_access(remote_access=False))
    for user, password in (("omm", "Omm-Admin-2026"), ("root", "Su-2026!"), ("omm", "omm")):
        assert access.check_login(user, password) is Verdict.DISABLED


# -- md5-crypt ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("password", "salt", "expected"), [
    # crypt(3) and `openssl passwd -1` give these.
    ("omm", "", "$1$$dHMOSgyKKuOkWB6rgPwRv1"),
    ("22222", "", "$1$$sWcVTyiaQwg7oeoWIpDed1"),
    ("omm", "abc", "$1$abc$qTXFO.f6M54EgAiytg.7w/"),
])
def test_md5_crypt_matches_crypt3(password: str, salt: str, expected: str) -> None:
    assert md5_crypt(password, salt) == expected
    assert verify_md5_crypt(password, expected)


@given(st.text(max_size=40), st.text(alphabet="abcdefXYZ0123./", max_size=8))
def test_md5_crypt_verifies_its_own_and_nothing_else(password: str, salt: str) -> None:
    stored = md5_crypt(password, salt)
    assert verify_md5_crypt(password, stored)
    assert not verify_md5_crypt(password + "x", stored)


@pytest.mark.parametrize("stored", ["", "$1$", "scrypt$1$2", "$5$$abc", "$1$$a$b"])
def test_a_malformed_hash_never_matches(stored: str) -> None:
    assert not verify_md5_crypt("omm", stored)
