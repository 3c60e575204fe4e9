"""Prosody for the xmpp case, reusing the test suite's ProsodyServer.

Messages go to full JIDs of one account (``bob@DOMAIN/m<pk>``): no such
resource is online, so Prosody treats each as sent to the bare JID and keeps
it offline; after the run a second client logs in as bob and counts them.
The sender's sessions are counted from Prosody's log.
"""

SENDER, READER = "sender", "bob"


def make_client(jid, password, server):
    """A plain aioxmpp client for ``jid`` connecting to ``server`` ("host:port")."""
    import aioxmpp

    host, _colon, port = server.rpartition(":")
    return aioxmpp.Client(
        aioxmpp.JID.fromstr(jid), aioxmpp.make_security_layer(password, no_verify=True),
        override_peer=[(host, int(port), aioxmpp.connector.STARTTLSConnector())])


class Prosody:
    def __init__(self, directory):
        from tests.fixtures.xmpp import ProsodyServer, free_port

        directory.mkdir(parents=True, exist_ok=True)
        self.server = ProsodyServer(directory, free_port())
        self.sessions = 0

    @property
    def jid_prefix(self):
        return f"{READER}@{self.server.domain}/m"

    def start(self):
        self.server.start()

    def stop(self):
        self.server.stop()

    def environment(self):
        return {"BENCH_XMPP_SERVER": self.server.address,
                "BENCH_XMPP_JID": self.server.jid(SENDER),
                "BENCH_XMPP_PASSWORD": self.server.accounts[SENDER]}

    def reset(self):
        self.sessions = self.server.session_count(SENDER)

    def stats(self, expected):
        received = self.server.read_messages(READER, expected, timeout=60)
        connections = self.server.session_count(SENDER) - self.sessions
        return {"messages": len(received), "recipients": len(received),
                "connections": connections}
