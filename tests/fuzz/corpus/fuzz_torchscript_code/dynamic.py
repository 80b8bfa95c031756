class M(Module):
  def forward(self: __torch__.yoloport.M,
    images: Tensor) -> Tensor:
    x0 = torch.conv2d(images, self.w, self.b, [1, 1], [1, 1], [1, 1], 1)
    x1 = torch.reshape(x0, [torch.size(x0, 0), 4, -1])
    x2 = torch.size(x0)
    x3 = x2[2]
    x4 = x2[3]
    x5 = float(x4)
    x6 = float(x3)
    x7 = torch.arange(0., x5, 1., dtype=None, layout=None, device=ops.prim.device(images), pin_memory=None)
    x8 = torch.arange(0., x6, 1., dtype=None, layout=None, device=ops.prim.device(images), pin_memory=None)
    x9 = torch.add(x7, 0.5)
    x10 = torch.add(x8, 0.5)
    x11 = [x3]
    x12 = [x4]
    x13 = x11 + x12
    x14 = torch.unsqueeze(x9, 0)
    x15 = torch.unsqueeze(x10, 1)
    x16 = torch.expand(x14, x13)
    x17 = torch.expand(x15, x13)
    x18 = torch.reshape(x16, [1, -1])
    x19 = torch.reshape(x17, [1, -1])
    x20 = torch.cat([x18, x19], 0)
    x21 = torch.size(x18)
    x22 = torch.expand(self.b, x21)
    x23 = torch.size(x0)[1:3]
    x24 = x23[0] * x23[1] // 2
    x25 = [x2[0], x24, -1]
    x26 = torch.reshape(x0, x25)
    x27 = int(float(x24) / 4.)
    x28 = torch.mul(x20, x27)
    return (x1, x22, x26, x28)
