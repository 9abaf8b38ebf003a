/// Series colours that stay distinguishable for people with colour-vision deficiencies.
///
/// The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), reordered so the first
/// colours have the most contrast against white; yellow comes last because it is faint on white.
/// Beyond eight series the colours repeat with a dash pattern so lines stay distinct.
enum Palette {
    static let colours = [
        "#0072B2",  // blue
        "#E69F00",  // orange
        "#009E73",  // bluish green
        "#D55E00",  // vermillion
        "#CC79A7",  // reddish purple
        "#56B4E9",  // sky blue
        "#000000",  // black
        "#F0E442",  // yellow
    ]

    /// The stroke colour of series number `index` (0-based).
    static func colour(_ index: Int) -> String { colours[index % colours.count] }

    /// The dash pattern of series number `index`, or nil for a solid line.
    static func dash(_ index: Int) -> String? {
        switch (index / colours.count) % 3 {
        case 0: nil
        case 1: "6 3"
        default: "2 3"
        }
    }

    /// Text and axis colours, chosen for contrast on the white chart background.
    static let text = "#222222"
    static let mutedText = "#555555"
    static let axis = "#666666"
    static let grid = "#e3e3e3"
}
