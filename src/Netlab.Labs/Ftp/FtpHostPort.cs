using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Netlab.Labs.Ftp;

/// <summary>
/// The ways FTP writes a data connection's address: PORT and the 227 reply to PASV as
/// "h1,h2,h3,h4,p1,p2" (RFC 959 section 4.1.2, port = p1 * 256 + p2), EPRT as
/// "|proto|address|port|" and the 229 reply to EPSV as "(|||port|)" (RFC 2428 sections 2 and 3).
/// </summary>
public static partial class FtpHostPort
{
    /// <summary>Parses PORT's argument: six decimal numbers 0..255 separated by commas.</summary>
    public static bool TryParsePort(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        var parts = text.Trim().Split(',');
        if (parts.Length != 6)
            return false;
        Span<byte> bytes = stackalloc byte[6];
        for (var i = 0; i < 6; i++)
        {
            var part = parts[i].Trim();
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || !byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out bytes[i]))
                return false;
        }
        endPoint = new IPEndPoint(new IPAddress(bytes[..4]), bytes[4] * 256 + bytes[5]);
        return true;
    }

    /// <summary>"127,0,0,1,156,64" for 127.0.0.1:40000; IPv4 only, as PORT and PASV are.</summary>
    public static string FormatPort(IPEndPoint endPoint)
    {
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        if (address.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException("PORT and PASV carry IPv4 addresses only; use EPRT or EPSV.", nameof(endPoint));
        var b = address.GetAddressBytes();
        return string.Create(CultureInfo.InvariantCulture, $"{b[0]},{b[1]},{b[2]},{b[3]},{endPoint.Port >> 8},{endPoint.Port & 0xff}");
    }

    /// <summary>
    /// Parses EPRT's argument: a delimiter (any printable ASCII but a digit, RFC 2428 section 2,
    /// usually '|'), the protocol (1 = IPv4, 2 = IPv6), the address and the port.
    /// </summary>
    public static bool TryParseEprt(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (text.Length < 8)
            return false;
        var d = text[0];
        if (d is < '!' or > '~' || char.IsAsciiDigit(d) || text[^1] != d)
            return false;
        var fields = text[1..^1].Split(d);
        if (fields.Length != 3 || fields[0] is not ("1" or "2"))
            return false;
        if (!IPAddress.TryParse(fields[1], out var address))
            return false;
        var family = fields[0] == "1" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        if (address.AddressFamily != family || (family == AddressFamily.InterNetwork && fields[1].Count(c => c == '.') != 3))
            return false;
        if (fields[2].Length is 0 or > 5 || !fields[2].All(char.IsAsciiDigit) || !int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            return false;
        endPoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>"|1|127.0.0.1|40000|" or "|2|::1|40000|".</summary>
    public static string FormatEprt(IPEndPoint endPoint)
    {
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        var proto = address.AddressFamily == AddressFamily.InterNetwork ? 1 : 2;
        var text = proto == 2 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()).ToString() : address.ToString();
        return string.Create(CultureInfo.InvariantCulture, $"|{proto}|{text}|{endPoint.Port}|");
    }

    /// <summary>The 227 reply's text: "Entering Passive Mode (h1,h2,h3,h4,p1,p2)." (RFC 959 section 4.1.2).</summary>
    public static string FormatPasvReply(IPEndPoint endPoint) => $"Entering Passive Mode ({FormatPort(endPoint)}).";

    /// <summary>
    /// Finds the six numbers in a 227 reply. RFC 959 does not fix where they are, nor the
    /// parentheses (RFC 1123 section 4.1.2.6 tells clients to scan for them), so this scans.
    /// </summary>
    public static bool TryParsePasvReply(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        var match = SixNumbers().Match(text);
        return match.Success && TryParsePort(match.Value, out endPoint);
    }

    /// <summary>The 229 reply's text: "Entering Extended Passive Mode (|||port|)" (RFC 2428 section 3).</summary>
    public static string FormatEpsvReply(int port) => string.Create(CultureInfo.InvariantCulture, $"Entering Extended Passive Mode (|||{port}|)");

    /// <summary>The port of a 229 reply: "(" d d d port d ")" with any delimiter d.</summary>
    public static bool TryParseEpsvReply(string text, out int port)
    {
        port = 0;
        var open = text.IndexOf('(');
        var close = open < 0 ? -1 : text.IndexOf(')', open);
        if (close - open < 6)
            return false;
        var inner = text[(open + 1)..close];
        var d = inner[0];
        if (inner.Length < 5 || inner[1] != d || inner[2] != d || inner[^1] != d)
            return false;
        var digits = inner[3..^1];
        return digits.Length is > 0 and <= 5 && digits.All(char.IsAsciiDigit)
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
    }

    /// <summary>An address as the other end sees it: IPv4-mapped IPv6 addresses as plain IPv4.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    [GeneratedRegex(@"\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}")]
    private static partial Regex SixNumbers();
}
