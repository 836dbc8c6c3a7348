using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Netlab.Labs.Core;
using Netlab.Web.Hosting;

namespace Netlab.Web.Runs;

/// <summary>
/// Decides which hosts probes may reach (Netlab:Probes:AllowedHosts; default loopback only).
/// Address rules apply to the resolved address, so a name cannot smuggle in a forbidden address;
/// and a name is resolved only when it could be allowed (listed by name, or localhost), so typing
/// a name never sends a DNS query out of the machine and a refusal never tells what a name resolves to.
/// </summary>
public sealed class TargetPolicy(IOptionsMonitor<NetlabOptions> options)
{
    /// <summary>What is wrong with a target port, in the words the API and the probe form both use; null when it is fine.</summary>
    public static string? PortProblem(int? port) =>
        port is >= 1 and <= 65535 ? null : $"target.port must be between 1 and 65535 (got {port?.ToString() ?? "nothing"}).";

    public async Task<ProbeTarget> ResolveAsync(string? host, int port, CancellationToken cancellationToken, bool usesPort = true)
    {
        if (string.IsNullOrWhiteSpace(host))
            throw Invalid("target.host", "target.host is required.");
        host = host.Trim();
        // A NUL or CR/LF would pass a resolver that stops at it and then reach a protocol line (Host:).
        if (host.Length > 255 || host.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
            || Uri.CheckHostName(host.Trim('[', ']')) == UriHostNameType.Unknown)
            throw Invalid("target.host", $"target.host must be a host name or an IP address (letters, digits, '-', '.', ':'); got '{Printable.Ascii(System.Text.Encoding.UTF8.GetBytes(host), 60)}'.");
        if (!usesPort)
            port = 0; // ICMP talks to a host, not a port
        else if (PortProblem(port) is { } problem)
            throw Invalid("target.port", problem);

        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else if (!MayResolve(host, options.CurrentValue.Probes.AllowedHosts))
        {
            throw NotAllowed(host, null, options.CurrentValue.Probes.AllowedHosts);
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            }
            catch (SocketException e)
            {
                throw new ProblemException(StatusCodes.Status400BadRequest, "Unknown host", $"Cannot resolve host '{host}': {e.Message}");
            }
        }
        var allowed = options.CurrentValue.Probes.AllowedHosts;
        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
        if (address is null || !IsAllowed(host, address, allowed))
            // A name's resolution is not echoed: it would tell a user the portal's internal DNS answers.
            throw NotAllowed(host, IPAddress.TryParse(host.Trim('[', ']'), out _) ? address : null, allowed);
        return new ProbeTarget(host, address, port);
    }

    /// <summary>Names worth resolving: listed by name, or localhost (RFC 6761 section 6.3: always loopback, answered locally).</summary>
    private static bool MayResolve(string host, IEnumerable<string> allowed) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || allowed.Any(rule => rule.Equals(host, StringComparison.OrdinalIgnoreCase));

    private static ProblemException NotAllowed(string host, IPAddress? address, IReadOnlyCollection<string> allowed) =>
        new(StatusCodes.Status403Forbidden, "Target not allowed",
            $"Probes may only target allowed hosts ({string.Join(", ", allowed)}); {host} is not one of them. " +
            "To allow it, add it to Netlab:Probes:AllowedHosts in appsettings.json " +
            "(an address, a CIDR block such as 10.0.0.0/8, or a host name), or set the environment variable Netlab__Probes__AllowedHosts__1.",
            extensions: new Dictionary<string, object?> { ["host"] = host, ["address"] = address?.ToString() });

    public static bool IsAllowed(string host, IPAddress address, IEnumerable<string> allowed)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        foreach (var rule in allowed)
        {
            if (rule.Equals("loopback", StringComparison.OrdinalIgnoreCase) && IPAddress.IsLoopback(address))
                return true;
            if (rule.Contains('/') && IPNetwork.TryParse(rule, out var network) && network.Contains(address))
                return true;
            if (IPAddress.TryParse(rule, out var single) && single.Equals(address))
                return true;
            if (rule.Equals(host, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    private static ProblemException Invalid(string field, string message) => ProblemException.Invalid(new Dictionary<string, string[]> { [field] = [message] });
}
