using System.Text.Json.Serialization;
using Netlab.Labs.Core;

namespace Netlab.Labs.Dns;

/// <summary>A query a DNS server answered: who asked, over what, for what, and the response code.</summary>
public sealed record DnsQueryLogged(string Client, DnsTransport Transport, int Id, string Name, string Type, DnsResponseCode ResponseCode, int ResponseBytes, string? Error) : LabEvent;

/// <summary>How a query came: a UDP datagram, or a TCP connection with its two-byte length prefix (RFC 1035 section 4.2.2).</summary>
public enum DnsTransport
{
    [JsonStringEnumMemberName("UDP")] Udp,
    [JsonStringEnumMemberName("TCP")] Tcp,
}
