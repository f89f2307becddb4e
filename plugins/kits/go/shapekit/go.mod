module github.com/agentshape/agentshape/plugins/kits/go/shapekit

go 1.24
