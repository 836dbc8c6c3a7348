using FsCheck;
using FsCheck.Fluent;
using Netlab.Labs.Dns;

namespace Netlab.Labs.Tests.Dns;

public class DnsResponderTests
{
    private static readonly DnsZone Zone = DnsZone.Load(Path.Combine(Http.Repo.Content, "dns", "netlab.zone"));

    private static byte[] Query(string name, DnsType type, ushort id = 0x1234, byte opcode = 0, bool rd = true) =>
        DnsMessageWriter.Write(new DnsMessage(id, new DnsFlags(false, opcode, false, false, rd, false, DnsResponseCode.NoError), [new DnsQuestion(name, type, DnsClass.IN)], [], [], []));

    private static DnsMessage Ask(string name, DnsType type, bool udp = true)
    {
        var outcome = DnsResponder.Respond(Zone, Query(name, type), udp);
        Assert.True(DnsMessageReader.TryRead(outcome.Response, out var response, out var error), error);
        return response!;
    }

    [Fact]
    public void Answers_a_name_with_two_A_records_authoritatively_with_the_question_echoed()
    {
        var response = Ask("www.netlab.test", DnsType.A);
        Assert.Equal(0x1234, response.Id);
        Assert.True(response.Flags is { Response: true, Authoritative: true, RecursionDesired: true, RecursionAvailable: false, ResponseCode: DnsResponseCode.NoError });
        Assert.Equal(new DnsQuestion("www.netlab.test", DnsType.A, DnsClass.IN), Assert.Single(response.Questions));
        Assert.Equal(["192.165.1.1", "192.165.1.10"], response.Answers.Select(a => a.DataText()));
        Assert.All(response.Answers, a => Assert.Equal(260u, a.Ttl));
    }

    [Fact]
    public void Answer_names_are_compressed_to_the_question_like_the_handout()
    {
        var bytes = DnsResponder.Respond(Zone, Query("www.netlab.test", DnsType.A), true).Response!;
        // Header 12 + QNAME 17 + QTYPE/QCLASS 4 = 33: the first answer starts with the pointer c0 0c.
        Assert.Equal(new byte[] { 0xc0, 0x0c }, bytes[33..35]);
    }

    [Fact]
    public void Names_compare_without_case()
    {
        Assert.Equal(2, Ask("WWW.NetLab.TEST", DnsType.A).Answers.Count);
    }

    [Fact]
    public void Follows_a_cname_chain_inside_the_zone()
    {
        var response = Ask("alias.netlab.test", DnsType.A);
        Assert.Equal(["CNAME web.netlab.test.", "CNAME www.netlab.test.", "A 192.165.1.1", "A 192.165.1.10"],
            response.Answers.Select(a => $"{a.Type} {a.DataText()}"));
    }

    [Fact]
    public void MX_answers_carry_the_exchange_address_as_additional()
    {
        var response = Ask("netlab.test", DnsType.MX);
        Assert.Equal("10 mail.netlab.test.", Assert.Single(response.Answers).DataText());
        Assert.Equal("192.165.1.20", Assert.Single(response.Additional).DataText());
    }

    [Fact]
    public void A_missing_name_is_NXDOMAIN_with_the_SOA_in_authority()
    {
        var response = Ask("nope.netlab.test", DnsType.A);
        Assert.Equal(DnsResponseCode.NXDomain, response.Flags.ResponseCode);
        Assert.True(response.Flags.Authoritative);
        Assert.Empty(response.Answers);
        Assert.Equal(DnsType.SOA, Assert.Single(response.Authority).Type);
    }

    [Fact]
    public void An_existing_name_without_that_type_is_NODATA()
    {
        var response = Ask("mail.netlab.test", DnsType.AAAA);
        Assert.Equal(DnsResponseCode.NoError, response.Flags.ResponseCode);
        Assert.Empty(response.Answers);
        Assert.Equal(DnsType.SOA, Assert.Single(response.Authority).Type);
    }

    [Theory]
    [InlineData("google.com")]
    [InlineData("google.ca")]
    public void The_handouts_own_example_names_answer_with_the_screenshots_addresses(string name)
    {
        // Handout 003's client output: "google.com: type A, class IN, TTL 260, addr (4) 192.165.1.1" and 192.165.1.10.
        var response = Ask(name, DnsType.A);
        Assert.Equal(DnsResponseCode.NoError, response.Flags.ResponseCode);
        Assert.True(response.Flags.Authoritative);
        Assert.Equal(["192.165.1.1", "192.165.1.10"], response.Answers.Select(a => ((DnsRecordData.Address)a.Data).Value.ToString()));
        Assert.All(response.Answers, a => Assert.Equal(260u, a.Ttl));
    }

    [Fact]
    public void Names_outside_the_zone_are_REFUSED()
    {
        var response = Ask("example.com", DnsType.A);
        Assert.Equal(DnsResponseCode.Refused, response.Flags.ResponseCode);
        Assert.False(response.Flags.Authoritative);
    }

    [Fact]
    public void Opcodes_other_than_QUERY_are_NOTIMP()
    {
        var outcome = DnsResponder.Respond(Zone, Query("www.netlab.test", DnsType.A, opcode: 2), true);
        DnsMessageReader.TryRead(outcome.Response, out var response, out _);
        Assert.Equal(DnsResponseCode.NotImp, response!.Flags.ResponseCode);
        Assert.Equal(2, response.Flags.Opcode);
    }

    [Fact]
    public void Malformed_queries_get_FORMERR_with_their_ID()
    {
        var outcome = DnsResponder.Respond(Zone, Convert.FromHexString("abcd0100000100000000000003777777"), true);
        DnsMessageReader.TryRead(outcome.Response, out var response, out _);
        Assert.Equal((0xabcd, DnsResponseCode.FormErr), (response!.Id, response.Flags.ResponseCode));
        Assert.Contains("runs past the end", outcome.Error);
    }

    [Fact]
    public void Two_questions_are_FORMERR()
    {
        var query = DnsMessageWriter.Write(new DnsMessage(1, default,
            [new DnsQuestion("www.netlab.test", DnsType.A, DnsClass.IN), new DnsQuestion("ftp.netlab.test", DnsType.A, DnsClass.IN)], [], [], []));
        DnsMessageReader.TryRead(DnsResponder.Respond(Zone, query, true).Response, out var response, out _);
        Assert.Equal(DnsResponseCode.FormErr, response!.Flags.ResponseCode);
    }

    [Fact]
    public void Too_short_to_have_an_ID_or_a_response_is_dropped()
    {
        Assert.Null(DnsResponder.Respond(Zone, [0x01], true).Response);
        var response = DnsResponder.Respond(Zone, Query("www.netlab.test", DnsType.A), true).Response!;
        Assert.Null(DnsResponder.Respond(Zone, response, true).Response); // never answer an answer
    }

    [Fact]
    public void A_UDP_answer_over_512_bytes_is_truncated_and_complete_over_TCP()
    {
        var udp = Ask("big.netlab.test", DnsType.TXT, udp: true);
        Assert.True(udp.Flags.Truncated);
        Assert.Empty(udp.Answers);
        var tcp = Ask("big.netlab.test", DnsType.TXT, udp: false);
        Assert.False(tcp.Flags.Truncated);
        Assert.Equal(7, tcp.Answers.Count);
    }

    [Fact]
    public void Random_queries_get_FORMERR_a_valid_reply_or_nothing()
    {
        Prop.ForAll<byte[]>(bytes =>
        {
            var outcome = DnsResponder.Respond(Zone, bytes, true);
            if (outcome.Response is null)
                return true;
            return DnsMessageReader.TryRead(outcome.Response, out var response, out _) && response!.Flags.Response && outcome.Response.Length <= 512;
        }).QuickCheckThrowOnFailure();
    }
}
