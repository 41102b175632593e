from sipdect.axi.client import AxiClient


async def test_ping_after_login(axi: AxiClient) -> None:
    resp = await axi.request("Ping")
    assert resp.name == "PingResp"
    assert resp.attrs == {"seq": resp.attrs["seq"]}
