using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Netlab.Labs.Dns;

public sealed record DnsServerOptions
{
    [Display(Name = "Zone file")]
    [Required, StringLength(200), Description("The zone file, relative to the content root.")]
    public string Zone { get; init; } = "dns/netlab.zone";

    [Display(Name = "Hex dumps")]
    [Description("Also show every query and response as a colour-coded hex dump.")]
    public bool HexDumps { get; init; }

    [Display(Name = "TCP timeout (ms)", GroupName = "Advanced")]
    [Range(100, 60_000), Description("How long a TCP client may take to send a query, in ms.")]
    public int TcpTimeoutMs { get; init; } = 5000;

    [Display(Name = "Max TCP connections", GroupName = "Advanced")]
    [Range(1, 10_000), Description("TCP connections served at once; more are closed at once.")]
    public int MaxTcpConnections { get; init; } = 256;
}

public sealed record DnsProbeOptions : IValidatableObject
{
    [Required, StringLength(253), RegularExpression(@"^[^\s]+$", ErrorMessage = "name must be a domain name without spaces."),
     Description("The name to look up, e.g. www.netlab.test.")]
    public string Name { get; init; } = "www.netlab.test";

    [Description("The record type to ask for.")]
    public DnsType Type { get; init; } = DnsType.A;

    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(10, 30_000), Description("How long to wait for each reply, in ms.")]
    public int TimeoutMs { get; init; } = 2000;

    [Display(Name = "Retries", GroupName = "Advanced")]
    [Range(0, 10), Description("Tries after the first when no reply comes over UDP.")]
    public int Retries { get; init; } = 2;

    [Display(Name = "TCP")]
    [Description("Ask over TCP from the start (otherwise only when a UDP answer is truncated).")]
    public bool Tcp { get; init; }

    [Display(Name = "Most records", GroupName = "Advanced")]
    [Range(1, 10_000), Description("A reply with more questions and records than this ends the run as Failed: each record is a line of the run, and a 64 KB TCP answer can hold thousands.")]
    public int MaxRecords { get; init; } = 256;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(Name) && !DnsName.TryGetLabels(Name, out _))
            yield return new ValidationResult("Name must be a domain name: labels of 1 to 63 bytes separated by dots, 255 bytes in all.", [nameof(Name)]);
    }
}
