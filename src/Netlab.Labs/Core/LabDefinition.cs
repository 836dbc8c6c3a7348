using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Reflection;

namespace Netlab.Labs.Core;

/// <summary>A lab as the portal offers it: what server and probes it has and how to build them.</summary>
public sealed record LabDefinition(string Id, string Title, string Summary, string Handout, ServerKind? Server, IReadOnlyList<ProbeKind> Probes)
{
    /// <summary>The lab's own event records and their JSON "kind" (the shared ones are in <see cref="EventKind.Shared"/>).</summary>
    public IReadOnlyList<EventKind> Events { get; init; } = [];
}

/// <summary>An event record and the "kind" that tags it in JSON (API, hub, the run store).</summary>
public sealed record EventKind(Type Type, string Kind)
{
    public static EventKind Of<T>(string kind) where T : LabEvent => new(typeof(T), kind);

    /// <summary>The events every lab may emit, whatever its protocol.</summary>
    public static IReadOnlyList<EventKind> Shared { get; } =
    [
        Of<RttSample>("rttSample"),
        Of<ServerStateChanged>("serverStateChanged"),
        Of<LogLine>("logLine"),
        Of<Summary>("summary"),
        Of<TranscriptLine>("transcriptLine"),
        Of<Check>("check"),
        Of<HexMessage>("hexMessage"),
    ];
}

/// <summary>What the host gives every server and probe: where the lab content lives.</summary>
public sealed record LabEnvironment(string ContentRoot)
{
    /// <summary>The servers running in this process, when there is a portal around the probe.</summary>
    public ILabServerDirectory? Servers { get; init; }

    /// <summary>Stored server sessions the run's owner may read (client graders); null outside a portal run.</summary>
    public IServerSessions? Sessions { get; init; }

    /// <summary>Where servers keep what outlives a restart (e.g. the SMTP server's generated certificate); null = nowhere.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// True for an endpoint where this process itself listens (the portal's HTTP port, its lab
    /// servers): a server that connects where a client says (FTP's PORT) refuses those. Null = none known.
    /// </summary>
    public Func<IPEndPoint, bool>? IsOwnListener { get; init; }

    /// <summary>What all servers together may keep on disk (mail, uploads); null = only each server's own quota.</summary>
    public StorageBudget? Storage { get; init; }

    /// <summary>The clock of servers' and probes' timeouts, retries and silences; tests give a fake one to drive them without waiting.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>Where a server runs: its endpoint (port 0 = any free one) and its event stream.</summary>
public sealed record ServerContext(IPEndPoint EndPoint, EventStream Events, LabEnvironment Environment)
{
    /// <summary>The environment's clock (<see cref="LabEnvironment.Time"/>).</summary>
    public TimeProvider Time => Environment.Time;

    /// <summary>
    /// This server's own folder for what must outlive a stop or a restart (an SMTP mailbox, a DNS
    /// zone's working copy); null = none, so the server keeps such things in memory or reads shared content.
    /// </summary>
    public string? StorageDirectory { get; init; }
}

/// <summary>A kind of lab server: its options type and how to build one from validated options.</summary>
public sealed record ServerKind(string Id, Type OptionsType, Func<object, ServerContext, ILabServer> Create)
{
    public IReadOnlyList<OptionField> Options { get; } = OptionField.Describe(OptionsType);
}

/// <summary>A kind of probe: what it does, its options type and how to build one from validated options.</summary>
public sealed record ProbeKind(string Id, string Title, Type OptionsType, Func<object, LabEnvironment, IProbe> Create)
{
    /// <summary>False for probes that talk to a host, not a port (ICMP): the target's port is ignored.</summary>
    public bool UsesPort { get; init; } = true;

    public IReadOnlyList<OptionField> Options { get; } = OptionField.Describe(OptionsType);
}

/// <summary>One option as a form or a script sees it: name, type, default, range, meaning.</summary>
/// <remarks>Format refines a string for forms: "multiline", "password" (never stored or shown back), "upload" (a file as a data URL),
/// "accounts" (user:password pairs; stored and shown with the passwords masked).</remarks>
public sealed record OptionField(string Name, string Type, object? Default, double? Min, double? Max, IReadOnlyList<string>? Values, string? Description, string? Format = null)
{
    /// <summary>The custom [DataType] of an option holding user:password pairs (server accounts).</summary>
    public const string AccountsFormat = "Accounts";

    /// <summary>How a form labels it, from [Display(Name = "STARTTLS")]; null = the name in words.</summary>
    public string? Label { get; init; }

    /// <summary>Rarely changed: forms keep it under "Advanced" ([Display(GroupName = "Advanced")]).</summary>
    public bool Advanced { get; init; }

    /// <summary>False when a page sets it its own way ([Display(AutoGenerateField = false)]); scripts still can.</summary>
    public bool InForm { get; init; } = true;

    public static IReadOnlyList<OptionField> Describe(Type optionsType)
    {
        var defaults = Activator.CreateInstance(optionsType);
        return optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead)
            .Select(p =>
            {
                var range = p.GetCustomAttribute<RangeAttribute>();
                var type = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
                return new OptionField(
                    JsonName(p.Name),
                    TypeName(type),
                    type.IsEnum ? p.GetValue(defaults)?.ToString() : p.GetValue(defaults),
                    range is null ? null : Convert.ToDouble(range.Minimum, System.Globalization.CultureInfo.InvariantCulture),
                    range is null ? null : Convert.ToDouble(range.Maximum, System.Globalization.CultureInfo.InvariantCulture),
                    type.IsEnum ? Enum.GetNames(type) : null,
                    p.GetCustomAttribute<DescriptionAttribute>()?.Description,
                    p.GetCustomAttribute<DataTypeAttribute>() switch
                    {
                        { DataType: DataType.MultilineText } => "multiline",
                        { DataType: DataType.Password } => "password",
                        { DataType: DataType.Upload } => "upload",
                        { CustomDataType: AccountsFormat } => "accounts",
                        _ => null,
                    })
                {
                    Label = p.GetCustomAttribute<DisplayAttribute>()?.Name,
                    Advanced = p.GetCustomAttribute<DisplayAttribute>()?.GroupName == "Advanced",
                    InForm = p.GetCustomAttribute<DisplayAttribute>()?.GetAutoGenerateField() ?? true,
                };
            })
            .ToList();
    }

    /// <summary>Validates options with their data annotations; returns errors by camelCase field name.</summary>
    public static Dictionary<string, string[]> Validate(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results
            .SelectMany(r => r.MemberNames.DefaultIfEmpty("").Select(m =>
                (Member: JsonName(m), Message: m.Length == 0 ? r.ErrorMessage ?? "invalid" : InJsonTerms(options.GetType(), m, r.ErrorMessage ?? "invalid"))))
            .GroupBy(x => x.Member)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Message).ToArray());
    }

    /// <summary>
    /// Options as JSON fit to store and show: passwords masked, uploaded files replaced by their
    /// size (a run's record should not hold a secret or megabytes of base64).
    /// </summary>
    public static System.Text.Json.JsonElement Redacted(object options, Type optionsType)
    {
        var node = System.Text.Json.JsonSerializer.SerializeToNode(options, optionsType, LabJson.Options)!.AsObject();
        foreach (var field in Describe(optionsType))
        {
            if (node[field.Name]?.GetValueKind() != System.Text.Json.JsonValueKind.String || node[field.Name]!.GetValue<string>().Length == 0)
                continue;
            var value = node[field.Name]!.GetValue<string>();
            if (field.Format == "password")
                node[field.Name] = "****";
            else if (field.Format == "accounts")
                node[field.Name] = string.Join(",", value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(pair => pair.Split(':', 2)[0] + ":****"));
            else if (field.Format == "upload")
                node[field.Name] = DataUrl.Describe(value);
        }
        return System.Text.Json.JsonSerializer.SerializeToElement(node, LabJson.Options);
    }

    /// <summary>A message names the field as scripts send it ("lossRate"), not as a form labels it ("Loss rate").</summary>
    private static string InJsonTerms(Type optionsType, string member, string message)
    {
        var label = optionsType.GetProperty(member)?.GetCustomAttribute<DisplayAttribute>()?.Name;
        return (label is { Length: > 0 } ? message.Replace(label, member) : message).Replace(member, JsonName(member));
    }

    private static string JsonName(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    private static string TypeName(Type type) => type switch
    {
        _ when type.IsEnum => "enum",
        _ when type == typeof(int) || type == typeof(long) => "integer",
        _ when type == typeof(double) || type == typeof(float) => "number",
        _ when type == typeof(bool) => "boolean",
        _ => "string",
    };
}
