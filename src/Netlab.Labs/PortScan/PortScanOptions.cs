using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Netlab.Labs.PortScan;

public sealed record PortScanOptions : IValidatableObject
{
    /// <summary>
    /// Most ports one scan may cover: a scan is many connections at once to someone's host, so a
    /// class cannot sweep whole machines by accident. The portal sets it from Netlab:PortScan:MaxPorts.
    /// </summary>
    public static int MaxPorts { get; set; } = 1_024;

    [Display(Name = "From port")]
    [Range(1, 65_535), Description("First port of the range.")]
    public int FromPort { get; init; } = 1;

    [Display(Name = "To port")]
    [Range(1, 65_535), Description("Last port of the range (at most the configured maximum of ports per scan, 1,024 by default).")]
    public int ToPort { get; init; } = 1_024;

    [Range(1, 500), Description("Connections tried at once.")]
    public int Concurrency { get; init; } = 100;

    [Range(1, 30_000), Description("How long to wait for each connection, in ms; no answer by then = filtered.")]
    public int TimeoutMs { get; init; } = 1_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ToPort < FromPort)
            yield return new ValidationResult($"ToPort must be at least FromPort ({FromPort}).", [nameof(ToPort)]);
        else if (ToPort - FromPort + 1 > MaxPorts)
            yield return new ValidationResult($"A scan covers at most {MaxPorts:N0} ports; {FromPort}-{ToPort} is {ToPort - FromPort + 1:N0}. Scan a smaller range.", [nameof(ToPort)]);
    }
}
