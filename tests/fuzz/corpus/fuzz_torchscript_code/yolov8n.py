class DetectionModel(Module):
  __parameters__ = ["model_0_conv_weight", "model_0_conv_bias", "model_1_conv_weight", "model_1_conv_bias", "model_2_cv1_conv_weight", "model_2_cv1_conv_bias", "model_2_m_0_cv1_conv_weight", "model_2_m_0_cv1_conv_bias", "model_2_m_0_cv2_conv_weight", "model_2_m_0_cv2_conv_bias", "model_2_cv2_conv_weight", "model_2_cv2_conv_bias", "model_3_conv_weight", "model_3_conv_bias", "model_4_cv1_conv_weight", "model_4_cv1_conv_bias", "model_4_m_0_cv1_conv_weight", "model_4_m_0_cv1_conv_bias", "model_4_m_0_cv2_conv_weight", "model_4_m_0_cv2_conv_bias", "model_4_m_1_cv1_conv_weight", "model_4_m_1_cv1_conv_bias", "model_4_m_1_cv2_conv_weight", "model_4_m_1_cv2_conv_bias", "model_4_cv2_conv_weight", "model_4_cv2_conv_bias", "model_5_conv_weight", "model_5_conv_bias", "model_6_cv1_conv_weight", "model_6_cv1_conv_bias", "model_6_m_0_cv1_conv_weight", "model_6_m_0_cv1_conv_bias", "model_6_m_0_cv2_conv_weight", "model_6_m_0_cv2_conv_bias", "model_6_m_1_cv1_conv_weight", "model_6_m_1_cv1_conv_bias", "model_6_m_1_cv2_conv_weight", "model_6_m_1_cv2_conv_bias", "model_6_cv2_conv_weight", "model_6_cv2_conv_bias", "model_7_conv_weight", "model_7_conv_bias", "model_8_cv1_conv_weight", "model_8_cv1_conv_bias", "model_8_m_0_cv1_conv_weight", "model_8_m_0_cv1_conv_bias", "model_8_m_0_cv2_conv_weight", "model_8_m_0_cv2_conv_bias", "model_8_cv2_conv_weight", "model_8_cv2_conv_bias", "model_9_cv1_conv_weight", "model_9_cv1_conv_bias", "model_9_cv2_conv_weight", "model_9_cv2_conv_bias", "model_12_cv1_conv_weight", "model_12_cv1_conv_bias", "model_12_m_0_cv1_conv_weight", "model_12_m_0_cv1_conv_bias", "model_12_m_0_cv2_conv_weight", "model_12_m_0_cv2_conv_bias", "model_12_cv2_conv_weight", "model_12_cv2_conv_bias", "model_15_cv1_conv_weight", "model_15_cv1_conv_bias", "model_15_m_0_cv1_conv_weight", "model_15_m_0_cv1_conv_bias", "model_15_m_0_cv2_conv_weight", "model_15_m_0_cv2_conv_bias", "model_15_cv2_conv_weight", "model_15_cv2_conv_bias", "model_16_conv_weight", "model_16_conv_bias", "model_18_cv1_conv_weight", "model_18_cv1_conv_bias", "model_18_m_0_cv1_conv_weight", "model_18_m_0_cv1_conv_bias", "model_18_m_0_cv2_conv_weight", "model_18_m_0_cv2_conv_bias", "model_18_cv2_conv_weight", "model_18_cv2_conv_bias", "model_19_conv_weight", "model_19_conv_bias", "model_21_cv1_conv_weight", "model_21_cv1_conv_bias", "model_21_m_0_cv1_conv_weight", "model_21_m_0_cv1_conv_bias", "model_21_m_0_cv2_conv_weight", "model_21_m_0_cv2_conv_bias", "model_21_cv2_conv_weight", "model_21_cv2_conv_bias", "model_22_cv2_0_0_conv_weight", "model_22_cv2_0_0_conv_bias", "model_22_cv2_0_1_conv_weight", "model_22_cv2_0_1_conv_bias", "model_22_cv2_0_2_weight", "model_22_cv2_0_2_bias", "model_22_cv3_0_0_conv_weight", "model_22_cv3_0_0_conv_bias", "model_22_cv3_0_1_conv_weight", "model_22_cv3_0_1_conv_bias", "model_22_cv3_0_2_weight", "model_22_cv3_0_2_bias", "model_22_cv2_1_0_conv_weight", "model_22_cv2_1_0_conv_bias", "model_22_cv2_1_1_conv_weight", "model_22_cv2_1_1_conv_bias", "model_22_cv2_1_2_weight", "model_22_cv2_1_2_bias", "model_22_cv3_1_0_conv_weight", "model_22_cv3_1_0_conv_bias", "model_22_cv3_1_1_conv_weight", "model_22_cv3_1_1_conv_bias", "model_22_cv3_1_2_weight", "model_22_cv3_1_2_bias", "model_22_cv2_2_0_conv_weight", "model_22_cv2_2_0_conv_bias", "model_22_cv2_2_1_conv_weight", "model_22_cv2_2_1_conv_bias", "model_22_cv2_2_2_weight", "model_22_cv2_2_2_bias", "model_22_cv3_2_0_conv_weight", "model_22_cv3_2_0_conv_bias", "model_22_cv3_2_1_conv_weight", "model_22_cv3_2_1_conv_bias", "model_22_cv3_2_2_weight", "model_22_cv3_2_2_bias", "model_22_dfl_conv_weight", ]
  __buffers__ = ["model_22_anchors", "model_22_strides", ]
  model_0_conv_weight : Tensor
  model_0_conv_bias : Tensor
  model_1_conv_weight : Tensor
  model_1_conv_bias : Tensor
  model_2_cv1_conv_weight : Tensor
  model_2_cv1_conv_bias : Tensor
  model_2_m_0_cv1_conv_weight : Tensor
  model_2_m_0_cv1_conv_bias : Tensor
  model_2_m_0_cv2_conv_weight : Tensor
  model_2_m_0_cv2_conv_bias : Tensor
  model_2_cv2_conv_weight : Tensor
  model_2_cv2_conv_bias : Tensor
  model_3_conv_weight : Tensor
  model_3_conv_bias : Tensor
  model_4_cv1_conv_weight : Tensor
  model_4_cv1_conv_bias : Tensor
  model_4_m_0_cv1_conv_weight : Tensor
  model_4_m_0_cv1_conv_bias : Tensor
  model_4_m_0_cv2_conv_weight : Tensor
  model_4_m_0_cv2_conv_bias : Tensor
  model_4_m_1_cv1_conv_weight : Tensor
  model_4_m_1_cv1_conv_bias : Tensor
  model_4_m_1_cv2_conv_weight : Tensor
  model_4_m_1_cv2_conv_bias : Tensor
  model_4_cv2_conv_weight : Tensor
  model_4_cv2_conv_bias : Tensor
  model_5_conv_weight : Tensor
  model_5_conv_bias : Tensor
  model_6_cv1_conv_weight : Tensor
  model_6_cv1_conv_bias : Tensor
  model_6_m_0_cv1_conv_weight : Tensor
  model_6_m_0_cv1_conv_bias : Tensor
  model_6_m_0_cv2_conv_weight : Tensor
  model_6_m_0_cv2_conv_bias : Tensor
  model_6_m_1_cv1_conv_weight : Tensor
  model_6_m_1_cv1_conv_bias : Tensor
  model_6_m_1_cv2_conv_weight : Tensor
  model_6_m_1_cv2_conv_bias : Tensor
  model_6_cv2_conv_weight : Tensor
  model_6_cv2_conv_bias : Tensor
  model_7_conv_weight : Tensor
  model_7_conv_bias : Tensor
  model_8_cv1_conv_weight : Tensor
  model_8_cv1_conv_bias : Tensor
  model_8_m_0_cv1_conv_weight : Tensor
  model_8_m_0_cv1_conv_bias : Tensor
  model_8_m_0_cv2_conv_weight : Tensor
  model_8_m_0_cv2_conv_bias : Tensor
  model_8_cv2_conv_weight : Tensor
  model_8_cv2_conv_bias : Tensor
  model_9_cv1_conv_weight : Tensor
  model_9_cv1_conv_bias : Tensor
  model_9_cv2_conv_weight : Tensor
  model_9_cv2_conv_bias : Tensor
  model_12_cv1_conv_weight : Tensor
  model_12_cv1_conv_bias : Tensor
  model_12_m_0_cv1_conv_weight : Tensor
  model_12_m_0_cv1_conv_bias : Tensor
  model_12_m_0_cv2_conv_weight : Tensor
  model_12_m_0_cv2_conv_bias : Tensor
  model_12_cv2_conv_weight : Tensor
  model_12_cv2_conv_bias : Tensor
  model_15_cv1_conv_weight : Tensor
  model_15_cv1_conv_bias : Tensor
  model_15_m_0_cv1_conv_weight : Tensor
  model_15_m_0_cv1_conv_bias : Tensor
  model_15_m_0_cv2_conv_weight : Tensor
  model_15_m_0_cv2_conv_bias : Tensor
  model_15_cv2_conv_weight : Tensor
  model_15_cv2_conv_bias : Tensor
  model_16_conv_weight : Tensor
  model_16_conv_bias : Tensor
  model_18_cv1_conv_weight : Tensor
  model_18_cv1_conv_bias : Tensor
  model_18_m_0_cv1_conv_weight : Tensor
  model_18_m_0_cv1_conv_bias : Tensor
  model_18_m_0_cv2_conv_weight : Tensor
  model_18_m_0_cv2_conv_bias : Tensor
  model_18_cv2_conv_weight : Tensor
  model_18_cv2_conv_bias : Tensor
  model_19_conv_weight : Tensor
  model_19_conv_bias : Tensor
  model_21_cv1_conv_weight : Tensor
  model_21_cv1_conv_bias : Tensor
  model_21_m_0_cv1_conv_weight : Tensor
  model_21_m_0_cv1_conv_bias : Tensor
  model_21_m_0_cv2_conv_weight : Tensor
  model_21_m_0_cv2_conv_bias : Tensor
  model_21_cv2_conv_weight : Tensor
  model_21_cv2_conv_bias : Tensor
  model_22_cv2_0_0_conv_weight : Tensor
  model_22_cv2_0_0_conv_bias : Tensor
  model_22_cv2_0_1_conv_weight : Tensor
  model_22_cv2_0_1_conv_bias : Tensor
  model_22_cv2_0_2_weight : Tensor
  model_22_cv2_0_2_bias : Tensor
  model_22_cv3_0_0_conv_weight : Tensor
  model_22_cv3_0_0_conv_bias : Tensor
  model_22_cv3_0_1_conv_weight : Tensor
  model_22_cv3_0_1_conv_bias : Tensor
  model_22_cv3_0_2_weight : Tensor
  model_22_cv3_0_2_bias : Tensor
  model_22_cv2_1_0_conv_weight : Tensor
  model_22_cv2_1_0_conv_bias : Tensor
  model_22_cv2_1_1_conv_weight : Tensor
  model_22_cv2_1_1_conv_bias : Tensor
  model_22_cv2_1_2_weight : Tensor
  model_22_cv2_1_2_bias : Tensor
  model_22_cv3_1_0_conv_weight : Tensor
  model_22_cv3_1_0_conv_bias : Tensor
  model_22_cv3_1_1_conv_weight : Tensor
  model_22_cv3_1_1_conv_bias : Tensor
  model_22_cv3_1_2_weight : Tensor
  model_22_cv3_1_2_bias : Tensor
  model_22_cv2_2_0_conv_weight : Tensor
  model_22_cv2_2_0_conv_bias : Tensor
  model_22_cv2_2_1_conv_weight : Tensor
  model_22_cv2_2_1_conv_bias : Tensor
  model_22_cv2_2_2_weight : Tensor
  model_22_cv2_2_2_bias : Tensor
  model_22_cv3_2_0_conv_weight : Tensor
  model_22_cv3_2_0_conv_bias : Tensor
  model_22_cv3_2_1_conv_weight : Tensor
  model_22_cv3_2_1_conv_bias : Tensor
  model_22_cv3_2_2_weight : Tensor
  model_22_cv3_2_2_bias : Tensor
  model_22_dfl_conv_weight : Tensor
  model_22_anchors : Tensor
  model_22_strides : Tensor
  training : bool
  def forward(self: __torch__.yoloport.DetectionModel,
    images: Tensor) -> Tensor:
    x0 = torch.conv2d(images, self.w, self.w, [2, 2], [1, 1], [1, 1], 1)
    x1 = torch.silu(x0)
    x2 = torch.conv2d(x1, self.w, self.w, [2, 2], [1, 1], [1, 1], 1)
    x3 = torch.silu(x2)
    x4 = torch.conv2d(x3, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x5 = torch.silu(x4)
    x6, x7, = torch.split_with_sizes(x5, [16, 16], 1)
    x8 = torch.conv2d(x7, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x9 = torch.silu(x8)
    x10 = torch.conv2d(x9, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x11 = torch.silu(x10)
    x12 = torch.add(x7, x11)
    x13 = torch.cat([x6, x7, x12], 1)
    x14 = torch.conv2d(x13, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x15 = torch.silu(x14)
    x16 = torch.conv2d(x15, self.w, self.w, [2, 2], [1, 1], [1, 1], 1)
    x17 = torch.silu(x16)
    x18 = torch.conv2d(x17, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x19 = torch.silu(x18)
    x20, x21, = torch.split_with_sizes(x19, [32, 32], 1)
    x22 = torch.conv2d(x21, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x23 = torch.silu(x22)
    x24 = torch.conv2d(x23, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x25 = torch.silu(x24)
    x26 = torch.add(x21, x25)
    x27 = torch.conv2d(x26, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x28 = torch.silu(x27)
    x29 = torch.conv2d(x28, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x30 = torch.silu(x29)
    x31 = torch.add(x26, x30)
    x32 = torch.cat([x20, x21, x26, x31], 1)
    x33 = torch.conv2d(x32, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x34 = torch.silu(x33)
    x35 = torch.conv2d(x34, self.w, self.w, [2, 2], [1, 1], [1, 1], 1)
    x36 = torch.silu(x35)
    x37 = torch.conv2d(x36, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x38 = torch.silu(x37)
    x39, x40, = torch.split_with_sizes(x38, [64, 64], 1)
    x41 = torch.conv2d(x40, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x42 = torch.silu(x41)
    x43 = torch.conv2d(x42, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x44 = torch.silu(x43)
    x45 = torch.add(x40, x44)
    x46 = torch.conv2d(x45, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x47 = torch.silu(x46)
    x48 = torch.conv2d(x47, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x49 = torch.silu(x48)
    x50 = torch.add(x45, x49)
    x51 = torch.cat([x39, x40, x45, x50], 1)
    x52 = torch.conv2d(x51, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x53 = torch.silu(x52)
    x54 = torch.conv2d(x53, self.w, self.w, [2, 2], [1, 1], [1, 1], 1)
    x55 = torch.silu(x54)
    x56 = torch.conv2d(x55, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x57 = torch.silu(x56)
    x58, x59, = torch.split_with_sizes(x57, [128, 128], 1)
    x60 = torch.conv2d(x59, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x61 = torch.silu(x60)
    x62 = torch.conv2d(x61, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x63 = torch.silu(x62)
    x64 = torch.add(x59, x63)
    x65 = torch.cat([x58, x59, x64], 1)
    x66 = torch.conv2d(x65, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x67 = torch.silu(x66)
    x68 = torch.conv2d(x67, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x69 = torch.silu(x68)
    x70 = torch.max_pool2d(x69, [5, 5], [1, 1], [2, 2], [1, 1], False)
    x71 = torch.max_pool2d(x70, [5, 5], [1, 1], [2, 2], [1, 1], False)
    x72 = torch.max_pool2d(x71, [5, 5], [1, 1], [2, 2], [1, 1], False)
    x73 = torch.cat([x69, x70, x71, x72], 1)
    x74 = torch.conv2d(x73, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x75 = torch.silu(x74)
    x76 = torch.upsample_nearest2d(x75, None, [2., 2.])
    x77 = torch.cat([x76, x53], 1)
    x78 = torch.conv2d(x77, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x79 = torch.silu(x78)
    x80, x81, = torch.split_with_sizes(x79, [64, 64], 1)
    x82 = torch.conv2d(x81, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x83 = torch.silu(x82)
    x84 = torch.conv2d(x83, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x85 = torch.silu(x84)
    x86 = torch.cat([x80, x81, x85], 1)
    x87 = torch.conv2d(x86, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x88 = torch.silu(x87)
    x89 = torch.upsample_nearest2d(x88, None, [2., 2.])
    x90 = torch.cat([x89, x34], 1)
    x91 = torch.conv2d(x90, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x92 = torch.silu(x91)
    x93, x94, = torch.split_with_sizes(x92, [32, 32], 1)
    x95 = torch.conv2d(x94, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x96 = torch.silu(x95)
    x97 = torch.conv2d(x96, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x98 = torch.silu(x97)
    x99 = torch.cat([x93, x94, x98], 1)
    x100 = torch.conv2d(x99, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x101 = torch.silu(x100)
    x102 = torch.conv2d(x101, self.w, self.w, [2, 2], [1, 1], [1, 1], 1)
    x103 = torch.silu(x102)
    x104 = torch.cat([x103, x88], 1)
    x105 = torch.conv2d(x104, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x106 = torch.silu(x105)
    x107, x108, = torch.split_with_sizes(x106, [64, 64], 1)
    x109 = torch.conv2d(x108, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x110 = torch.silu(x109)
    x111 = torch.conv2d(x110, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x112 = torch.silu(x111)
    x113 = torch.cat([x107, x108, x112], 1)
    x114 = torch.conv2d(x113, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x115 = torch.silu(x114)
    x116 = torch.conv2d(x115, self.w, self.w, [2, 2], [1, 1], [1, 1], 1)
    x117 = torch.silu(x116)
    x118 = torch.cat([x117, x75], 1)
    x119 = torch.conv2d(x118, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x120 = torch.silu(x119)
    x121, x122, = torch.split_with_sizes(x120, [128, 128], 1)
    x123 = torch.conv2d(x122, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x124 = torch.silu(x123)
    x125 = torch.conv2d(x124, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x126 = torch.silu(x125)
    x127 = torch.cat([x121, x122, x126], 1)
    x128 = torch.conv2d(x127, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x129 = torch.silu(x128)
    x130 = torch.conv2d(x101, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x131 = torch.silu(x130)
    x132 = torch.conv2d(x131, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x133 = torch.silu(x132)
    x134 = torch.conv2d(x133, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x135 = torch.conv2d(x101, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x136 = torch.silu(x135)
    x137 = torch.conv2d(x136, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x138 = torch.silu(x137)
    x139 = torch.conv2d(x138, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x140 = torch.cat([x134, x139], 1)
    x141 = torch.conv2d(x115, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x142 = torch.silu(x141)
    x143 = torch.conv2d(x142, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x144 = torch.silu(x143)
    x145 = torch.conv2d(x144, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x146 = torch.conv2d(x115, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x147 = torch.silu(x146)
    x148 = torch.conv2d(x147, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x149 = torch.silu(x148)
    x150 = torch.conv2d(x149, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x151 = torch.cat([x145, x150], 1)
    x152 = torch.conv2d(x129, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x153 = torch.silu(x152)
    x154 = torch.conv2d(x153, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x155 = torch.silu(x154)
    x156 = torch.conv2d(x155, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x157 = torch.conv2d(x129, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x158 = torch.silu(x157)
    x159 = torch.conv2d(x158, self.w, self.w, [1, 1], [1, 1], [1, 1], 1)
    x160 = torch.silu(x159)
    x161 = torch.conv2d(x160, self.w, self.w, [1, 1], [0, 0], [1, 1], 1)
    x162 = torch.cat([x156, x161], 1)
    x163 = torch.reshape(x140, [1, 144, -1])
    x164 = torch.reshape(x151, [1, 144, -1])
    x165 = torch.reshape(x162, [1, 144, -1])
    x166 = torch.cat([x163, x164, x165], 2)
    x167, x168, = torch.split_with_sizes(x166, [64, 80], 1)
    x169 = torch.reshape(x167, [1, 4, 16, 8400])
    x170 = torch.permute(x169, [0, 2, 1, 3])
    x171 = torch.softmax(x170, 1)
    x172 = torch.conv2d(x171, self.w, None, [1, 1], [0, 0], [1, 1], 1)
    x173 = torch.reshape(x172, [1, 4, 8400])
    x174, x175, = torch.split_with_sizes(x173, [2, 2], 1)
    x176 = torch.sub(self.w, x174)
    x177 = torch.add(self.w, x175)
    x178 = torch.add(x176, x177)
    x179 = torch.div(x178, 2.)
    x180 = torch.sub(x177, x176)
    x181 = torch.cat([x179, x180], 1)
    x182 = torch.mul(x181, self.w)
    x183 = torch.sigmoid(x168)
    x184 = torch.cat([x182, x183], 1)
    return x184
