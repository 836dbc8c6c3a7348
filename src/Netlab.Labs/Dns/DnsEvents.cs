using Netlab.Labs.Core;

namespace Netlab.Labs.Dns;

/// <summary>A query a DNS server answered: who asked, over what, for what, and the response code.</summary>
public sealed record DnsQueryLogged(string Client, string Transport, int Id, string Name, string Type, string ResponseCode, int ResponseBytes, string? Error) : LabEvent;
