using Netlab.Labs.Dns;

namespace Netlab.Labs.Tests.Dns;

public class DnsZoneTests
{
    [Fact]
    public void The_shipped_zone_has_the_handouts_five_names_and_more()
    {
        var zone = DnsZone.Load(Path.Combine(Http.Repo.Content, "dns", "netlab.zone"));
        Assert.Equal(["netlab.test", "google.com", "google.ca"], zone.Apexes);
        Assert.Equal(2, zone.At("www.netlab.test").Count(r => r.Type == DnsType.A));
        Assert.True(zone.Records.Where(r => r.Type == DnsType.A).Select(r => r.Name).Distinct().Count() >= 5);
        foreach (var type in new[] { DnsType.AAAA, DnsType.CNAME, DnsType.MX, DnsType.NS, DnsType.TXT, DnsType.SOA })
            Assert.Contains(zone.Records, r => r.Type == type);
    }

    [Fact]
    public void Reads_origins_ttls_relative_and_absolute_names_and_quoted_strings()
    {
        var zone = DnsZone.Parse("""
            $ORIGIN example.test.
            $TTL 100
            @ SOA ns1 admin 1 2 3 4 5 ; comment
            a      A 192.0.2.1
            b 20 IN AAAA 2001:db8::2
            c      CNAME other.example.
            t      TXT "semi; colon" plain
            """);
        Assert.Equal("example.test", zone.Apexes[0]);
        Assert.Equal((100u, "192.0.2.1"), (zone.At("a.example.test").Single().Ttl, zone.At("a.example.test").Single().DataText()));
        Assert.Equal(20u, zone.At("b.example.test").Single().Ttl);
        Assert.Equal("other.example.", zone.At("c.example.test").Single().DataText());
        Assert.Equal("\"semi; colon\" \"plain\"", zone.At("t.example.test").Single().DataText());
    }

    [Theory]
    [InlineData("@ SOA ns1 admin 1 2 3 4 5\na A 999.1.1.1", 2, "not an IPv4 address")]
    [InlineData("@ SOA ns1 admin 1 2 3 4 5\na AAAA 192.0.2.1", 2, "not an IPv6 address")]
    [InlineData("@ SOA ns1 admin 1 2 3 4 5\na BOGUS x", 2, "unknown record type")]
    [InlineData("@ SOA ns1 admin 1 2 3 4 5\na MX mail", 2, "MX takes 2")]
    [InlineData("@ SOA ns1 admin 1 2 3 4 5\na TXT \"open", 2, "not closed")]
    [InlineData("a A 192.0.2.1", 0, "no SOA")]
    public void Mistakes_name_their_line(string text, int line, string message)
    {
        var e = Assert.Throws<DnsZoneException>(() => DnsZone.Parse("$ORIGIN z.test.\n" + text));
        Assert.Equal(line == 0 ? 0 : line + 1, e.Line);
        Assert.Contains(message, e.Message);
    }
}
