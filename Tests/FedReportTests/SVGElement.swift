import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A minimal element tree built with `XMLParser`, used to inspect rendered SVG.
final class SVGElement {
    let name: String
    let attributes: [String: String]
    private(set) var children: [SVGElement] = []
    fileprivate(set) var ownText = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// All text inside this element and its descendants.
    var text: String {
        ownText + children.map(\.text).joined()
    }

    /// This element and all descendants, in document order.
    var allNodes: [SVGElement] {
        [self] + children.flatMap(\.allNodes)
    }

    func descendants(named name: String) -> [SVGElement] {
        allNodes.filter { $0.name == name }
    }

    func descendants(withClass className: String) -> [SVGElement] {
        allNodes.filter { $0.attributes["class"] == className }
    }

    func number(_ attribute: String) -> Double? {
        attributes[attribute].flatMap(Double.init)
    }

    fileprivate func append(_ child: SVGElement) {
        children.append(child)
    }

    /// Parses a document, returning its root element or `nil` if the text is not well-formed XML.
    static func parse(_ text: String) -> SVGElement? {
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = builder
        guard parser.parse(), builder.stack.isEmpty else {
            return nil
        }
        return builder.root
    }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var root: SVGElement?
    var stack: [SVGElement] = []

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
        let node = SVGElement(name: elementName, attributes: attributeDict)
        stack.last?.append(node)
        if root == nil {
            root = node
        }
        stack.append(node)
    }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
    ) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.ownText += string
    }
}

/// Extracts the points of an SVG path made only of `M` and `L` commands.
func pathPoints(_ data: String) -> (points: [(x: Double, y: Double)], moveCount: Int)? {
    var numbers: [Double] = []
    var moves = 0
    for token in data.split(separator: " ") {
        var token = token
        if token.first == "M" {
            moves += 1
            token = token.dropFirst()
        } else if token.first == "L" {
            token = token.dropFirst()
        }
        if token.isEmpty {
            continue
        }
        guard let value = Double(token) else {
            return nil
        }
        numbers.append(value)
    }
    guard numbers.count.isMultiple(of: 2) else {
        return nil
    }
    let points = stride(from: 0, to: numbers.count, by: 2).map { (x: numbers[$0], y: numbers[$0 + 1]) }
    return (points, moves)
}
