using System.Text;

namespace Netlab.Labs.Dns;

/// <summary>
/// Domain names as text, the way dig shows them: labels joined by dots, no trailing dot,
/// "" for the root; a dot or backslash inside a label as "\." / "\\", other unprintable
/// bytes as "\DDD" (RFC 1035 section 5.1), so any label read off the wire can be written back.
/// </summary>
public static class DnsName
{
    public const int MaxLabel = 63;
    public const int MaxWireLength = 255;

    public static string LabelText(ReadOnlySpan<byte> label)
    {
        var text = new StringBuilder(label.Length);
        foreach (var b in label)
        {
            if (b is (byte)'.' or (byte)'\\')
                text.Append('\\').Append((char)b);
            else if (b is > 0x20 and < 0x7f)
                text.Append((char)b);
            else
                text.Append('\\').Append(b.ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>Splits a name into its labels' bytes; false when a label or the name is too long or an escape is bad.</summary>
    public static bool TryGetLabels(string name, out List<byte[]> labels)
    {
        labels = [];
        name = name.EndsWith('.') && !name.EndsWith("\\.", StringComparison.Ordinal) ? name[..^1] : name;
        if (name.Length == 0)
            return true;
        var current = new List<byte>();
        var wire = 1;
        for (var i = 0; i <= name.Length; i++)
        {
            if (i == name.Length || name[i] == '.')
            {
                if (current.Count is 0 or > MaxLabel)
                    return false;
                labels.Add([.. current]);
                wire += current.Count + 1;
                current.Clear();
                continue;
            }
            if (name[i] == '\\')
            {
                if (i + 3 < name.Length && char.IsAsciiDigit(name[i + 1]) && char.IsAsciiDigit(name[i + 2]) && char.IsAsciiDigit(name[i + 3]))
                {
                    var value = int.Parse(name.AsSpan(i + 1, 3), System.Globalization.CultureInfo.InvariantCulture);
                    if (value > 255)
                        return false;
                    current.Add((byte)value);
                    i += 3;
                }
                else if (i + 1 < name.Length)
                {
                    current.Add((byte)name[++i]);
                }
                else
                {
                    return false;
                }
                continue;
            }
            if (name[i] > 0x7e)
                return false;
            current.Add((byte)name[i]);
        }
        return wire <= MaxWireLength;
    }

    /// <summary>Case-insensitive equality of names (RFC 1035 section 2.3.3).</summary>
    public static bool Equal(string a, string b) => string.Equals(a.TrimEnd('.'), b.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether name is zone or below it.</summary>
    public static bool IsAtOrBelow(string name, string zone)
    {
        name = name.TrimEnd('.');
        zone = zone.TrimEnd('.');
        return zone.Length == 0 || Equal(name, zone) || name.EndsWith("." + zone, StringComparison.OrdinalIgnoreCase);
    }
}
